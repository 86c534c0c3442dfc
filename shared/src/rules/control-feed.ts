import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { FraudstreamError } from '../errors.js';
import type { Admin, Consumer, Kafka, TopicSpec } from '../kafka/index.js';
import { superviseConsumer, type SupervisedConsumer } from '../kafka/index.js';
import type { Logger } from '../logger.js';
import { NamedList, Rule } from './schema.js';

/** A change read from the control topics, in topic order: the latest value of a key, or its deletion. */
export type ControlChange = { kind: 'rule'; id: string; value: Rule | null } | { kind: 'list'; id: string; value: NamedList | null };

export interface ControlTopics {
  rules: string;
  lists: string;
}

/** The control topics as created: compacted (the latest event per key is kept), one partition each. */
export function controlTopicSpecs(names: ControlTopics, replicationFactor?: number): TopicSpec[] {
  return [names.rules, names.lists].map((topic) => ({
    topic,
    partitions: 1,
    ...(replicationFactor === undefined ? {} : { replicationFactor }),
    config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0', 'segment.ms': '3600000' },
  }));
}

export interface ControlFeed {
  /** Starts reading both topics from the beginning; resolves once caught up with their end offsets. */
  start(options?: { timeoutMs?: number }): Promise<void>;
  /** The current rules and lists (every change applied so far). */
  current(): { rules: ReadonlyMap<string, Rule>; lists: ReadonlyMap<string, NamedList> };
  /** Changes read since the last call, in order (a detector applies them between two batches). */
  drain(): ControlChange[];
  /** Resolves once the record at `offset` of `topic` (one partition) has been applied. */
  appliedThrough(topic: string, offset: number, timeoutMs?: number): Promise<void>;
  /** Why the feed cannot be trusted now (not caught up, its consumer down); empty when it can. */
  problems(): string[];
  consumer: SupervisedConsumer;
  stop(): Promise<void>;
}

export interface ControlFeedOptions {
  kafka: Kafka;
  topics: ControlTopics;
  /** The reader's group gets this prefix and a random suffix: it reads everything, commits nothing. */
  groupIdPrefix: string;
  log: Logger;
  /** An event that is not a valid Rule or NamedList: skipped, counted. */
  onInvalid?: (topic: string, reason: string) => void;
  sessionTimeout?: number;
  heartbeatInterval?: number;
}

const decodeJson = <T>(schema: z.ZodType<T>, value: Buffer): { ok: true; value: T } | { ok: false; reason: string } => {
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, reason: `${issue?.path.join('.') || '(event)'}: ${issue?.message ?? 'invalid'}` };
};

/**
 * Reads `fraud.rules` and `fraud.lists` from the beginning in a group of its own (kafkajs cannot read
 * without a group; this one commits nothing, so every start reads everything): what every detector
 * replica, and the alerts service, know of the rules. Keys are the ids; an empty value deletes.
 */
export function createControlFeed(options: ControlFeedOptions): ControlFeed {
  const { kafka, topics, log } = options;
  const rules = new Map<string, Rule>();
  const lists = new Map<string, NamedList>();
  let pending: ControlChange[] = [];
  /** Next offset to apply, per topic (one partition each). */
  const applied = new Map<string, number>([
    [topics.rules, 0],
    [topics.lists, 0],
  ]);
  let caughtUpTo: Map<string, number> | undefined;
  let caughtUp = false;
  const waiters: Array<{ topic: string; offset: number; resolve: () => void }> = [];

  const settle = (): void => {
    for (let index = waiters.length - 1; index >= 0; index--) {
      const waiter = waiters[index]!;
      if ((applied.get(waiter.topic) ?? 0) > waiter.offset) {
        waiters.splice(index, 1);
        waiter.resolve();
      }
    }
    if (!caughtUp && caughtUpTo && [...caughtUpTo].every(([topic, end]) => (applied.get(topic) ?? 0) >= end)) caughtUp = true;
  };

  const apply = (topic: string, key: string, value: Buffer | null): void => {
    const kind = topic === topics.rules ? 'rule' : 'list';
    if (value === null || value.length === 0) {
      (kind === 'rule' ? rules : lists).delete(key);
      pending.push({ kind, id: key, value: null } as ControlChange);
      return;
    }
    const decoded = kind === 'rule' ? decodeJson(Rule, value) : decodeJson(NamedList, value);
    if (!decoded.ok) {
      log.warn({ topic, key, reason: decoded.reason }, 'invalid control event skipped');
      options.onInvalid?.(topic, decoded.reason);
      return;
    }
    const id = kind === 'rule' ? (decoded.value as Rule).id : (decoded.value as NamedList).name;
    if (id !== key) {
      const reason = `key ${key} does not match the event's id ${id}`;
      log.warn({ topic, key, reason }, 'invalid control event skipped');
      options.onInvalid?.(topic, reason);
      return;
    }
    if (kind === 'rule') rules.set(id, decoded.value as Rule);
    else lists.set(id, decoded.value as NamedList);
    pending.push({ kind, id, value: decoded.value } as ControlChange);
  };

  const consumer: Consumer = kafka.consumer({
    groupId: `${options.groupIdPrefix}.control.${randomBytes(6).toString('hex')}`,
    sessionTimeout: options.sessionTimeout ?? 30_000,
    heartbeatInterval: options.heartbeatInterval ?? 3_000,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  // After every batch, also one of control records only: the offsets reached count as applied.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    applied.set(payload.topic, Math.max(applied.get(payload.topic) ?? 0, Number(payload.lastOffset) + 1));
    settle();
  });
  const supervised = superviseConsumer({
    name: 'control',
    consumer,
    log,
    subscribe: (c) => c.subscribe({ topics: [topics.rules, topics.lists], fromBeginning: true }),
    run: (c) =>
      c.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) apply(batch.topic, message.key?.toString('utf8') ?? '', message.value);
          applied.set(batch.topic, Math.max(applied.get(batch.topic) ?? 0, Number(batch.lastOffset()) + 1));
          settle();
        },
      }),
  });

  const endOffsets = async (admin: Admin): Promise<Map<string, number>> => {
    const ends = new Map<string, number>();
    for (const topic of [topics.rules, topics.lists]) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends.set(topic, Math.max(0, ...offsets.map((partition) => Number(partition.high))));
    }
    return ends;
  };

  return {
    async start({ timeoutMs = 60_000 } = {}) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        caughtUpTo = await endOffsets(admin);
      } finally {
        await admin.disconnect();
      }
      settle();
      await supervised.start();
      const deadline = Date.now() + timeoutMs;
      while (!caughtUp) {
        if (Date.now() > deadline) throw new FraudstreamError('KAFKA_UNAVAILABLE', `the control topics were not read to their end within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    current: () => ({ rules, lists }),
    drain() {
      const changes = pending;
      pending = [];
      return changes;
    },
    appliedThrough(topic, offset, timeoutMs = 10_000) {
      if ((applied.get(topic) ?? 0) > offset) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter = { topic, offset, resolve: () => (clearTimeout(timer), resolve()) };
        const timer = setTimeout(() => {
          const index = waiters.indexOf(waiter);
          if (index >= 0) waiters.splice(index, 1);
          reject(new FraudstreamError('KAFKA_UNAVAILABLE', `${topic} offset ${offset} was not read back within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    problems() {
      const problems = supervised.notConsuming({ rebalanceGraceMs: 30_000, fetchStallMs: 60_000 });
      return caughtUp ? problems : ['the control topics are not read to their end yet', ...problems];
    },
    consumer: supervised,
    stop: () => supervised.stop(),
  };
}
