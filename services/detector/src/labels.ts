import { randomBytes } from 'node:crypto';
import { decodeLabel, superviseConsumer, type Consumer, type Kafka, type Label, type Logger, type SupervisedConsumer } from '@fraudstream/shared';
import { mergeProgress, type TopicProgress } from './progress.js';
import type { DetectorMetrics } from './metrics.js';

export interface LabelReader {
  start(): Promise<void>;
  /** How far each label partition is applied: offsets and labeledAt. */
  progress(): TopicProgress;
  /** The reader's consumer, which restarts itself after a crash (readiness and metrics read it). */
  consumer: SupervisedConsumer;
  stop(): Promise<void>;
}

export interface LabelReaderOptions {
  kafka: Kafka;
  engine: { applyLabels(labels: readonly Label[]): Promise<void> };
  topic: string;
  /** The detector's group id; the reader's own group gets a random suffix. */
  groupId: string;
  log: Logger;
  metrics: DetectorMetrics;
  sessionTimeout: number;
  heartbeatInterval: number;
}

/**
 * Every replica reads every label partition, from the beginning, in a group of its own: the labels a
 * replica needs before it may score are then its own progress, never another replica's. Applying a label
 * twice (several replicas, one Redis) changes nothing. Labels are few (chargebacks and analyst verdicts).
 */
export function createLabelReader(options: LabelReaderOptions): LabelReader {
  const { kafka, engine, topic, groupId, log, metrics } = options;
  const progress: TopicProgress = new Map();
  const consumer: Consumer = kafka.consumer({
    groupId: `${groupId}.labels.${randomBytes(6).toString('hex')}`,
    sessionTimeout: options.sessionTimeout,
    heartbeatInterval: options.heartbeatInterval,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  const advance = (partition: number, next: { nextOffset?: number; eventTimeMs?: number }): void => {
    const current = progress.get(partition) ?? { nextOffset: 0, eventTimeMs: Number.NEGATIVE_INFINITY };
    progress.set(partition, mergeProgress(current, { ...current, ...next }));
  };
  // Fired after every batch, including those holding only control records or aborted messages.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === topic) advance(payload.partition, { nextOffset: Number(payload.lastOffset) + 1 });
  });

  const supervised = superviseConsumer({
    name: 'labels',
    consumer,
    log,
    subscribe: (c) => c.subscribe({ topics: [topic], fromBeginning: true }),
    run: (c) =>
      c.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const labels: Label[] = [];
          let latest = Number.NEGATIVE_INFINITY;
          for (const message of batch.messages) {
            const decoded = decodeLabel(message.value);
            if (decoded.ok) {
              labels.push(decoded.value);
              latest = Math.max(latest, Date.parse(decoded.value.labeledAt));
            } else {
              log.warn({ topic, partition: batch.partition, offset: message.offset, error: decoded.error }, 'invalid label skipped');
            }
          }
          if (labels.length > 0) await engine.applyLabels(labels);
          metrics.consumed.inc({ topic }, batch.messages.length);
          metrics.labelsApplied.inc(labels.length);
          advance(batch.partition, { eventTimeMs: latest });
        },
      }),
    onState: (state) => metrics.consumerUp.set({ consumer: 'labels' }, state === 'consuming' ? 1 : 0),
    onCrash: (_err, restartedBy) => metrics.consumerCrashes.inc({ consumer: 'labels', restart: restartedBy }),
  });

  return {
    start: () => supervised.start(),
    progress: () => progress,
    consumer: supervised,
    stop: () => supervised.stop(),
  };
}
