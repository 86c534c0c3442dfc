import type { Consumer } from './client.js';
import type { Logger } from '../logger.js';

/**
 * What a consumer is doing:
 * - `starting`: connecting and joining its group for the first time;
 * - `joining`: a rebalance is under way;
 * - `consuming`: a member of its group, fetching;
 * - `restarting`: it crashed, and a restart (kafkajs' own or ours) is pending;
 * - `stopped`: stopped on purpose.
 */
export type ConsumerState = 'starting' | 'joining' | 'consuming' | 'restarting' | 'stopped';

export interface ConsumerStatus {
  state: ConsumerState;
  /** Partitions of each topic assigned at the last join (empty when not in the group). */
  assigned: Record<string, number[]>;
  /** When `state` last changed (epoch ms). */
  sinceMs: number;
  /** When the consumer last completed a fetch (epoch ms), 0 before the first. */
  lastFetchMs: number;
  restarts: number;
  lastError?: string;
}

export interface SupervisedConsumerOptions {
  /** Shown in logs and used as the metric label. */
  name: string;
  consumer: Consumer;
  /** Subscribes the consumer (called once, before the first run). */
  subscribe: (consumer: Consumer) => Promise<void>;
  /** Calls `consumer.run(...)`; called at start and again after every crash kafkajs does not recover from. */
  run: (consumer: Consumer) => Promise<void>;
  log: Logger;
  /** First wait before a restart of our own; doubles up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called on every state change (metrics). */
  onState?: (state: ConsumerState, status: ConsumerStatus) => void;
  /** Called after every crash, with kafkajs' verdict (metrics). */
  onCrash?: (err: Error, restart: 'kafkajs' | 'supervisor') => void;
  now?: () => number;
}

export interface ReadinessRules {
  /** How long the consumer may be out of its group (rebalancing, restarting) before it counts as not consuming. */
  rebalanceGraceMs: number;
  /** No completed fetch for this long while a member counts as stalled (a fetch returns at least every maxWaitTime). */
  fetchStallMs: number;
  /** Topics that must have at least one partition assigned. */
  requirePartitionsOf?: string[];
}

export interface SupervisedConsumer {
  /** Connects, subscribes and runs; a first connection that fails is retried like a crash. */
  start(): Promise<void>;
  status(): ConsumerStatus;
  /** Why the consumer is not doing its job right now, by the rules; empty when it is. */
  notConsuming(rules: ReadinessRules): string[];
  /** Disconnects (the in-flight batch finishes first) and cancels any pending restart. Harmless twice. */
  stop(): Promise<void>;
}

/**
 * A kafkajs consumer that never stops for good on its own. kafkajs restarts a crashed consumer only
 * when the error is retriable; a non-retriable one (the group coordinator not found while a broker
 * restarts, a handler's own error, a connection refused for too long) leaves it disconnected, out of
 * its group, and silent. Here every crash kafkajs gives up on is followed by a reconnect and a new
 * `run`, with a backoff that doubles up to a bound, forever, until `stop()`. The state it keeps
 * (from the consumer's own events) answers whether the consumer is really consuming.
 */
export function superviseConsumer(options: SupervisedConsumerOptions): SupervisedConsumer {
  const { name, consumer, log } = options;
  const now = options.now ?? Date.now;
  const initialBackoffMs = options.initialBackoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const status: ConsumerStatus = { state: 'starting', assigned: {}, sinceMs: now(), lastFetchMs: 0, restarts: 0 };
  let lastConsumingMs = 0;
  let backoffMs = initialBackoffMs;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  let subscribed = false;

  const setState = (state: ConsumerState): void => {
    if (status.state === 'consuming') lastConsumingMs = now();
    if (status.state === state) return;
    status.state = state;
    status.sinceMs = now();
    options.onState?.(state, status);
  };

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    if (stopping) return;
    status.assigned = Object.fromEntries(Object.entries(payload.memberAssignment).map(([topic, partitions]) => [topic, [...partitions].sort((a, b) => a - b)]));
    backoffMs = initialBackoffMs;
    setState('consuming');
  });
  consumer.on(consumer.events.FETCH, () => {
    status.lastFetchMs = now();
  });
  consumer.on(consumer.events.REBALANCING, () => {
    if (!stopping) setState('joining');
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const err = payload.error;
    status.lastError = `${err.name}: ${err.message}`;
    status.assigned = {};
    if (stopping) return;
    setState('restarting');
    if (payload.restart) {
      log.warn({ err, consumer: name }, 'consumer crashed; kafkajs restarts it');
      options.onCrash?.(err, 'kafkajs');
      return;
    }
    log.error({ err, consumer: name, retryInMs: backoffMs }, 'consumer crashed and kafkajs gave up on it; restarting it');
    options.onCrash?.(err, 'supervisor');
    scheduleRestart();
  });

  const scheduleRestart = (): void => {
    clearTimeout(restartTimer);
    const wait = backoffMs;
    backoffMs = Math.min(maxBackoffMs, backoffMs * 2);
    restartTimer = setTimeout(() => void restart(), wait);
  };

  /** kafkajs disconnected the consumer when it crashed: connect again and run again. */
  const restart = async (): Promise<void> => {
    if (stopping) return;
    status.restarts += 1;
    try {
      await consumer.connect();
      if (!subscribed) {
        await options.subscribe(consumer);
        subscribed = true;
      }
      if (stopping) return;
      setState('joining');
      // run() resolves once the runner starts; a failure to join comes back as a CRASH event.
      await options.run(consumer);
    } catch (err) {
      if (stopping) return;
      status.lastError = `${(err as Error).name}: ${(err as Error).message}`;
      log.error({ err, consumer: name, retryInMs: backoffMs }, 'consumer restart failed; trying again');
      await consumer.disconnect().catch(() => {});
      setState('restarting');
      scheduleRestart();
    }
  };

  return {
    async start() {
      try {
        await consumer.connect();
        await options.subscribe(consumer);
        subscribed = true;
        await options.run(consumer);
      } catch (err) {
        status.lastError = `${(err as Error).name}: ${(err as Error).message}`;
        log.error({ err, consumer: name, retryInMs: backoffMs }, 'consumer could not start; retrying');
        await consumer.disconnect().catch(() => {});
        setState('restarting');
        scheduleRestart();
      }
    },
    status: () => ({ ...status, assigned: { ...status.assigned } }),
    notConsuming(rules) {
      const at = now();
      const reasons: string[] = [];
      if (status.state === 'stopped') return ['consumer stopped'];
      if (status.state !== 'consuming') {
        // A rebalance or a restart after a time in the group is given its grace; start-up is not.
        if (lastConsumingMs === 0 || at - lastConsumingMs >= rules.rebalanceGraceMs) {
          reasons.push(`consumer ${status.state}${status.lastError ? ` (last error: ${status.lastError})` : ''}`);
        }
        return reasons;
      }
      for (const topic of rules.requirePartitionsOf ?? []) {
        if ((status.assigned[topic]?.length ?? 0) === 0 && at - status.sinceMs >= rules.rebalanceGraceMs) {
          reasons.push(`no partitions of ${topic} assigned`);
        }
      }
      const fetchedAgoMs = at - Math.max(status.lastFetchMs, status.sinceMs);
      if (fetchedAgoMs >= rules.fetchStallMs) reasons.push(`no fetch completed for ${Math.round(fetchedAgoMs / 1000)} s`);
      return reasons;
    },
    stop() {
      stopping ??= (async () => {
        clearTimeout(restartTimer);
        await consumer.disconnect();
        status.assigned = {};
        setState('stopped');
      })();
      return stopping;
    },
  };
}
