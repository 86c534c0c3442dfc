import { setTimeout as sleep } from 'node:timers/promises';
import {
  deadLetterFor,
  MINUTE_MS,
  SECOND_MS,
  superviseConsumer,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type Kafka,
  type Label,
  type Logger,
  type SupervisedConsumer,
} from '@fraudstream/shared';
import {
  decodeMessages,
  eventTimesOf,
  scoreTransactions,
  splitDecoded,
  type DecodedMessage,
  type Featurizer,
  type RawMessage,
} from './scoring.js';
import type { ModelHolder } from './model-holder.js';
import type { DetectorMetrics } from './metrics.js';
import type { ProgressBoard } from './progress.js';
import { createEventTimeGate, type EventTimeGate } from './event-time-gate.js';
import { createEventTimeGuard, referenceFor } from './event-time-guard.js';
import { createLabelReader, type LabelReader } from './labels.js';
import { batchOutput, type OutputTopics } from './batch-output.js';
import { chunkOffsets, commitBatch } from './commit.js';
import { createGroupJoinHandler } from './group-join.js';
import { createEndOffsets } from './end-offsets.js';
import { createPartitionWriters, writerProducerConfig, type PartitionWriter } from './partition-writers.js';
import { committedOffset, positionAfterHandover } from './stable-offsets.js';

export interface DetectorTopics extends OutputTopics {
  transactions: string;
  labels: string;
}

export interface DetectorEngine extends Featurizer {
  applyLabels(labels: readonly Label[]): Promise<void>;
  /** Called on every rebalance: the cards of a partition this replica gets may have been scored elsewhere. */
  forgetCards(): void;
}

export interface DetectorOptions {
  kafka: Kafka;
  engine: DetectorEngine;
  /** 'memory' refuses to run next to other replicas: each would see a fraction of the history. */
  store: 'memory' | 'redis';
  progress: ProgressBoard;
  models: ModelHolder;
  log: Logger;
  metrics: DetectorMetrics;
  topics: DetectorTopics;
  groupId: string;
  labelDelayMs: number;
  sessionTimeout: number;
  heartbeatInterval: number;
  maxBytesPerPartition: number;
  partitionsConsumedConcurrently: number;
  /** How long a batch waits inside eachBatch for the event-time gate before handing back to the fetch loop. */
  holdMs?: number;
  /** A transaction further ahead of its partition's event time than this is dead-lettered (see event-time-guard.ts). */
  maxEventAheadMs: number;
  /** Called when the detector cannot go on (e.g. an in-memory store next to other replicas). */
  onFatal?: (err: Error) => void;
}

export interface DetectorStatus {
  assigned: number[];
  modelVersion: string;
  running: boolean;
}

export interface Detector {
  /** Starts consuming; a consumer that crashes, or cannot reach the broker, is restarted until `stop()`. */
  start(): Promise<void>;
  status(): DetectorStatus;
  /**
   * Why the detector is not scoring now (empty when it is): its transactions consumer or its label
   * reader is out of its group for longer than a rebalance, has no partitions, or has fetched nothing
   * for longer than a fetch can take.
   */
  notReady(): string[];
  /** Finishes the in-flight batch, commits, leaves the group, closes producers. Harmless twice. */
  stop(): Promise<void>;
}

/**
 * The detector: a consumer group over the transactions, one transactional producer per assigned input
 * partition, and a label reader. See the README's "Detector" section for why it is shaped this way.
 */
export function createDetector(options: DetectorOptions): Detector {
  const { kafka, engine, models, log, metrics, topics, groupId } = options;
  const holdMs = options.holdMs ?? 200;
  const { sessionTimeout, heartbeatInterval } = options;
  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout,
    heartbeatInterval,
    maxBytesPerPartition: options.maxBytesPerPartition,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  const admin: Admin = kafka.admin();
  const writers = createPartitionWriters({
    producerFor: (partition) => kafka.producer(writerProducerConfig(groupId, topics.transactions, partition)),
    log,
  });
  const labelReader: LabelReader = createLabelReader({
    kafka,
    engine,
    topic: topics.labels,
    groupId,
    log,
    metrics,
    sessionTimeout,
    heartbeatInterval,
  });
  const gate: EventTimeGate = createEventTimeGate({
    labelsTopic: topics.labels,
    transactionsTopic: topics.transactions,
    labelProgress: () => labelReader.progress(),
    transactionProgress: () => options.progress.read(topics.transactions),
    endOffsets: createEndOffsets(admin),
    delayMs: options.labelDelayMs,
  });
  const guard = createEventTimeGuard({ maxAheadMs: options.maxEventAheadMs });
  let assigned: number[] = [];
  let running = false;
  // Every record of a batch was in the log when its fetch completed, so an end-offset probe started
  // after that moment sees all that was produced before them; one probe then serves a whole fetch.
  let lastFetchAtMs = 0;
  consumer.on(consumer.events.FETCH, () => {
    lastFetchAtMs = Date.now();
  });
  let stopping: Promise<void> | undefined;
  const onGroupJoin = createGroupJoinHandler({
    topic: topics.transactions,
    groupId,
    store: options.store,
    admin,
    writers,
    engine,
    guard,
    log,
    metrics,
    onAssigned: (partitions) => {
      assigned = partitions;
    },
    onFatal: options.onFatal,
  });

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => onGroupJoin(payload));

  const scoreAndCommit = async (
    writer: PartitionWriter,
    partition: number,
    chunk: readonly DecodedMessage[],
    commitOffset: string,
    recordedBeforeMs: number,
  ): Promise<void> => {
    const { valid, deadLetters } = splitDecoded(chunk);
    const result = await scoreTransactions(valid, engine, models.current(), { recordedBeforeMs });
    const input = { groupId, topic: topics.transactions, partition, offset: commitOffset };
    const kind = await commitBatch({ commitOffsets: (offsets) => consumer.commitOffsets(offsets), producer: writer.producer }, input, batchOutput(topics, chunk, result));
    metrics.commits.inc({ kind });
    metrics.scored.inc(result.scored.length);
    metrics.flagged.inc(result.alerts.length);
    for (const letter of deadLetters) metrics.deadLettered.inc({ code: letter.error.code });
    metrics.scoringDuration.observe(result.predictSeconds);
  };

  /** Transactions too far ahead of their partition's event time become dead letters (code EVENT_TIME_AHEAD). */
  const guardEventTimes = async (partition: number, decoded: DecodedMessage[]): Promise<DecodedMessage[]> => {
    if (!guard.knows(partition)) {
      const board = await options.progress.read(topics.transactions);
      const recorded = board.get(partition)?.eventTimeMs;
      const reference =
        recorded !== undefined && Number.isFinite(recorded)
          ? recorded
          : referenceFor(
              [...board.values()].map((progress) => progress.eventTimeMs),
              decoded.flatMap((entry) => ('eventTimeMs' in entry ? [entry.eventTimeMs] : [])),
            );
      guard.seed(partition, reference, Date.now());
    }
    return decoded.map((entry) => {
      if (!('transaction' in entry)) return entry;
      const wallMs = Date.now();
      if (guard.admit(partition, entry.eventTimeMs, wallMs)) return entry;
      metrics.eventTimeRejected.inc();
      const limit = new Date(guard.limitMs(partition, wallMs)).toISOString();
      log.warn({ partition, offset: entry.message.offset, timestamp: entry.transaction.timestamp, limit }, 'transaction dated too far ahead of its partition: dead-lettered');
      return {
        message: entry.message,
        deadLetter: deadLetterFor(entry.message, {
          code: 'EVENT_TIME_AHEAD',
          path: 'timestamp',
          message: `${entry.transaction.timestamp} is more than ${options.maxEventAheadMs / SECOND_MS} s ahead of the partition's event time (at most ${limit} now)`,
        }),
      };
    });
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    const fetchedAtMs = lastFetchAtMs || Date.now();
    const { partition } = batch;
    let writer: PartitionWriter;
    try {
      writer = await writers.writerFor(partition);
      if (!writer.verified) {
        const committed = await committedOffset(admin, groupId, topics.transactions, partition);
        writer.verified = true;
        const position = positionAfterHandover(committed, batch.firstOffset());
        if (position !== undefined) {
          log.info({ partition, committed, fetched: batch.firstOffset() }, 'position moved to the committed offset');
          consumer.seek({ topic: topics.transactions, partition, offset: String(position) });
          return;
        }
      }
    } catch (err) {
      await writers.close(partition);
      throw err;
    }

    const raw: RawMessage[] = batch.messages.map((message) => ({
      topic: batch.topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
    }));
    let pending = await guardEventTimes(partition, decodeMessages(raw));
    let heldSinceMs: number | undefined;
    while (pending.length > 0 && isRunning() && !isStale()) {
      const times = eventTimesOf(pending);
      const count = await gate.admissible(times, partition, fetchedAtMs);
      if (count === 0) {
        const now = Date.now();
        if (heldSinceMs === undefined) {
          heldSinceMs = now;
          metrics.heldBatches.inc();
          // Tell the other replicas how far this partition is, so nobody waits on a stale figure.
          await options.progress.publish(topics.transactions, partition, {
            nextOffset: Number(pending[0]?.message.offset ?? 0),
            eventTimeMs: times[0] ?? Number.NEGATIVE_INFINITY,
          });
        }
        if (now - heldSinceMs >= holdMs) return;
        await sleep(5);
        await heartbeat();
        continue;
      }
      heldSinceMs = undefined;
      const started = performance.now();
      const chunk = pending.slice(0, count);
      const rest = pending.slice(count);
      const last = chunk[chunk.length - 1] as DecodedMessage;
      const { lastOffset, commitOffset } = chunkOffsets(last.message.offset, batch.lastOffset(), rest.length === 0);
      try {
        // This partition's own later events (after the chunk) are not recorded yet either.
        const recordedBeforeMs = Math.min(gate.recordedBeforeMs(partition), times[count - 1] ?? Number.NEGATIVE_INFINITY);
        await scoreAndCommit(writer, partition, chunk, commitOffset, recordedBeforeMs);
      } catch (err) {
        // Fenced, or the transaction failed: a new producer re-fences and re-checks the position next time.
        await writers.close(partition);
        throw err;
      }
      resolveOffset(lastOffset);
      metrics.consumed.inc({ topic: topics.transactions }, chunk.length);
      metrics.batchDuration.observe((performance.now() - started) / 1000);
      const nextTime = rest.length > 0 ? eventTimesOf(rest)[0] : times[count - 1];
      // Not awaited: progress only grows (max-merge), so a late or lost update is made good by the next.
      options.progress
        .publish(topics.transactions, partition, { nextOffset: Number(lastOffset) + 1, eventTimeMs: nextTime ?? Number.NEGATIVE_INFINITY })
        .catch((err: unknown) => log.warn({ err, partition }, 'could not publish partition progress'));
      pending = rest;
      await heartbeat();
    }
    metrics.consumerLag.set({ topic: topics.transactions, partition: String(partition) }, Number(batch.offsetLag()));
  };

  const supervised: SupervisedConsumer = superviseConsumer({
    name: 'transactions',
    consumer,
    log,
    subscribe: (c) => c.subscribe({ topics: [topics.transactions], fromBeginning: true }),
    run: (c) =>
      c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
        eachBatch,
      }),
    onState: (state) => {
      metrics.consumerUp.set({ consumer: 'transactions' }, state === 'consuming' ? 1 : 0);
      if (state !== 'consuming') {
        assigned = [];
        metrics.assignedPartitions.set(0);
      }
    },
    onCrash: (_err, restartedBy) => metrics.consumerCrashes.inc({ consumer: 'transactions', restart: restartedBy }),
  });
  const readiness = { rebalanceGraceMs: sessionTimeout, fetchStallMs: Math.max(MINUTE_MS, 2 * sessionTimeout) };

  return {
    async start() {
      await admin.connect();
      await labelReader.start();
      running = true;
      await supervised.start();
    },
    status: () => ({ assigned, modelVersion: models.current().version, running }),
    notReady: () =>
      running
        ? [
            ...supervised.notConsuming({ ...readiness, requirePartitionsOf: [topics.transactions] }),
            ...labelReader.consumer.notConsuming(readiness).map((reason) => `label reader: ${reason}`),
          ]
        : ['detector not running'],
    stop() {
      stopping ??= (async () => {
        running = false;
        await supervised.stop();
        await writers.closeAll();
        await labelReader.stop();
        await admin.disconnect();
        assigned = [];
        log.info('detector stopped');
      })();
      return stopping;
    },
  };
}
