import { MINUTE_MS, superviseConsumer, type Consumer, type EachBatchPayload, type SupervisedConsumer } from '@fraudstream/shared';
import { batchOutput } from './batch-output.js';
import { chunkOffsets, commitBatch } from './commit.js';
import { createEndOffsets } from './end-offsets.js';
import { createEventTimeGate } from './event-time-gate.js';
import { createEventTimeGuard, rejectAhead, takeOverReference } from './event-time-guard.js';
import { runGateLoop, type AdmittedChunk } from './gate-loop.js';
import { createGroupJoinHandler } from './group-join.js';
import { createLabelReader } from './labels.js';
import { createPartitionWriters, writerProducerConfig, type PartitionWriter } from './partition-writers.js';
import { decodeMessages, scoreTransactions, splitDecoded, type DecodedMessage } from './scoring.js';
import { countChallengerOutcomes } from './challenger.js';
import { countRuleOutcomes, ruleHitCounts } from './rules.js';
import { committedOffset, positionAfterHandover } from './stable-offsets.js';
import type { Detector, DetectorOptions } from './types.js';

export type { Detector, DetectorEngine, DetectorOptions, DetectorStatus, DetectorTopics } from './types.js';

/**
 * The detector: a consumer group over the transactions, one transactional producer per assigned input
 * partition, and a label reader. docs/architecture.md ("The detector, batch by batch") says why it is shaped this way.
 */
export function createDetector(options: DetectorOptions): Detector {
  const { kafka, engine, models, log, metrics, topics, groupId, sessionTimeout, heartbeatInterval, maxEventAheadMs } = options;
  const holdMs = options.holdMs ?? 200;
  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout,
    heartbeatInterval,
    maxBytesPerPartition: options.maxBytesPerPartition,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  const admin = kafka.admin();
  const writers = createPartitionWriters({ producerFor: (partition) => kafka.producer(writerProducerConfig(groupId, topics.transactions, partition)), log });
  const labelReader = createLabelReader({ kafka, engine, topic: topics.labels, groupId, log, metrics, sessionTimeout, heartbeatInterval });
  const gate = createEventTimeGate({
    labelsTopic: topics.labels,
    transactionsTopic: topics.transactions,
    labelProgress: () => labelReader.progress(),
    transactionProgress: () => options.progress.read(topics.transactions),
    endOffsets: createEndOffsets(admin),
    delayMs: options.labelDelayMs,
  });
  const guard = createEventTimeGuard({ maxAheadMs: maxEventAheadMs });
  let assigned: number[] = [];
  let running = false;
  let stopping: Promise<void> | undefined;
  // Every record of a batch was in the log when its fetch completed, so an end-offset probe started
  // after that moment sees all that was produced before them; one probe then serves a whole fetch.
  let lastFetchAtMs = 0;
  consumer.on(consumer.events.FETCH, () => {
    lastFetchAtMs = Date.now();
  });
  const onGroupJoin = createGroupJoinHandler({
    topic: topics.transactions, groupId, store: options.store, admin, writers, engine, guard, log, metrics,
    onFatal: options.onFatal,
    onAssigned: (partitions) => void (assigned = partitions),
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => onGroupJoin(payload));

  /** Transactions too far ahead of their partition's event time become dead letters (see event-time-guard.ts). */
  const guardEventTimes = async (partition: number, decoded: DecodedMessage[]): Promise<DecodedMessage[]> => {
    if (!guard.knows(partition)) {
      const reference = takeOverReference(await options.progress.read(topics.transactions), partition, decoded);
      guard.seed(partition, reference, Date.now());
      log.info({ partition, reference: Number.isFinite(reference) ? new Date(reference).toISOString() : null }, 'event-time reference of the partition');
    }
    return rejectAhead(guard, partition, decoded, {
      maxAheadMs: maxEventAheadMs,
      onRejected: ({ message, transaction }, limit) => {
        metrics.eventTimeRejected.inc();
        log.warn({ partition, offset: message.offset, timestamp: transaction.timestamp, limit }, 'transaction dated too far ahead of its partition: dead-lettered');
      },
    });
  };

  /** Scores an admitted chunk and commits its output with its offset (commit.ts); a failure closes the partition's producer. */
  const scoreAndCommit = async (writer: PartitionWriter, partition: number, batchLastOffset: string, admitted: AdmittedChunk): Promise<string> => {
    const { chunk, rest, recordedBeforeMs } = admitted;
    const { lastOffset, commitOffset } = chunkOffsets((chunk[chunk.length - 1] as DecodedMessage).message.offset, batchLastOffset, rest.length === 0);
    try {
      const { valid, deadLetters } = splitDecoded(chunk);
      options.rules?.sync();
      const challenger = options.challengers?.current();
      const result = await scoreTransactions(valid, engine, models.current(), {
        recordedBeforeMs,
        ...(options.rules ? { rules: options.rules.book } : {}),
        ...(challenger ? { challenger } : {}),
      });
      const input = { groupId, topic: topics.transactions, partition, offset: commitOffset };
      const hits = options.rules ? ruleHitCounts(result.scored, options.rules.book, new Date()) : null;
      const kind = await commitBatch({ commitOffsets: (offsets) => consumer.commitOffsets(offsets), producer: writer.producer }, input, batchOutput(topics, chunk, result, hits));
      metrics.commits.inc({ kind });
      metrics.scored.inc(result.scored.length);
      metrics.flagged.inc(result.alerts.length);
      for (const letter of deadLetters) metrics.deadLettered.inc({ code: letter.error.code });
      metrics.scoringDuration.observe(result.predictSeconds);
      if (options.rules) countRuleOutcomes(result.scored, metrics);
      if (result.challenger) countChallengerOutcomes(result, metrics, log);
    } catch (err) {
      // Fenced, or the transaction failed: a new producer re-fences and re-checks the position next time.
      await writers.close(partition);
      throw err;
    }
    return lastOffset;
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    const fetchedAtMs = lastFetchAtMs || Date.now();
    const { partition } = batch;
    let writer: PartitionWriter;
    try {
      writer = await writers.writerFor(partition);
      if (!writer.verified) {
        // A new writer: the partition may have moved on elsewhere since this replica last had it.
        guard.forget(partition);
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
    const decoded = decodeMessages(batch.messages.map(({ offset, key, value }) => ({ topic: batch.topic, partition, offset, key, value })));
    const outcome = await runGateLoop(await guardEventTimes(partition, decoded), {
      gate,
      partition,
      fetchedAtMs,
      holdMs,
      isRunning,
      isStale,
      heartbeat,
      onHold: (progress) => {
        metrics.heldBatches.inc();
        return options.progress.publish(topics.transactions, partition, progress);
      },
      onAdmitted: async (admitted) => {
        const started = performance.now();
        const lastOffset = await scoreAndCommit(writer, partition, batch.lastOffset(), admitted);
        resolveOffset(lastOffset);
        metrics.consumed.inc({ topic: topics.transactions }, admitted.chunk.length);
        metrics.batchDuration.observe((performance.now() - started) / 1000);
        // Not awaited: progress only grows (max-merge), so a late or lost update is made good by the next.
        options.progress
          .publish(topics.transactions, partition, { nextOffset: Number(lastOffset) + 1, eventTimeMs: admitted.nextEventTimeMs })
          .catch((err: unknown) => log.warn({ err, partition }, 'could not publish partition progress'));
      },
    });
    if (outcome === 'done') metrics.consumerLag.set({ topic: topics.transactions, partition: String(partition) }, Number(batch.offsetLag()));
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
    status: () => ({ assigned, modelVersion: models.current().version, challengerVersion: options.challengers?.current().version ?? null, running }),
    notReady: () =>
      running
        ? [
            ...supervised.notConsuming({ ...readiness, requirePartitionsOf: [topics.transactions] }),
            ...labelReader.consumer.notConsuming(readiness).map((reason) => `label reader: ${reason}`),
            ...(options.rules?.problems() ?? []),
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
