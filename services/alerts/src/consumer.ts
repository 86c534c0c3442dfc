import {
  decodeAlert,
  superviseConsumer,
  type Alert,
  type Consumer,
  type Kafka,
  type KafkaMessage,
  type Logger,
  type SupervisedConsumer,
} from '@fraudstream/shared';
import type { AlertStore } from './store/alert-store.js';
import type { Metrics } from './metrics.js';

export interface BatchOutcome {
  stored: number;
  duplicates: number;
  invalid: number;
}

/** Stored per transaction: keeps one statement's JSON parameter and lock time small. */
const INSERT_CHUNK = 1000;

/**
 * Decodes one partition's messages and stores the valid alerts (idempotently, by alertId).
 * A message that is not a valid alert is logged with its position and skipped: alerts come from
 * our own detector, which validated them, so one that does not decode is a bug to fix there, and
 * the message stays on the topic to be replayed once fixed.
 */
export async function storeAlertMessages(
  messages: Array<Pick<KafkaMessage, 'value' | 'offset'>>,
  { store, log, topic, partition }: { store: AlertStore; log: Logger; topic: string; partition: number },
): Promise<BatchOutcome & { invalidCodes: string[] }> {
  const alerts: Alert[] = [];
  const invalidCodes: string[] = [];
  for (const message of messages) {
    const decoded = decodeAlert(message.value);
    if (decoded.ok) {
      alerts.push(decoded.value);
    } else {
      invalidCodes.push(decoded.error.code);
      log.error({ topic, partition, offset: message.offset, error: decoded.error }, 'invalid alert skipped');
    }
  }
  let stored = 0;
  for (let start = 0; start < alerts.length; start += INSERT_CHUNK) {
    stored += (await store.insertAlerts(alerts.slice(start, start + INSERT_CHUNK))).inserted;
  }
  return { stored, duplicates: alerts.length - stored, invalid: invalidCodes.length, invalidCodes };
}

export interface AlertConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  store: AlertStore;
  metrics: Metrics;
  log: Logger;
  /** Called after a batch stored new alerts (wakes the live streams). */
  onStored?: () => void;
  fromBeginning?: boolean;
  /** How long the consumer may be out of its group before it counts as not consuming. */
  rebalanceGraceMs?: number;
}

export interface AlertConsumer {
  /** Starts consuming; a crash, or a broker that cannot be reached, is followed by a restart until `stop()`. */
  start(): Promise<void>;
  /** Leaves the group after the in-flight batch is stored and committed. Safe to call twice. */
  stop(): Promise<void>;
  /** Why the consumer is not storing alerts now (out of its group, restarting, not fetching); empty when it is. */
  problems(): string[];
}

/** A consumer group that stores each batch before it commits the batch's offsets (read-committed). */
export interface StoringConsumerOptions {
  kafka: Kafka;
  /** In logs and states: what the consumer stores. */
  name: string;
  groupId: string;
  topic: string;
  log: Logger;
  /** Stores one partition's batch; the offsets are committed only after it resolves. */
  storeBatch(batch: { topic: string; partition: number; messages: KafkaMessage[] }): Promise<void>;
  onUp(up: boolean): void;
  onCrash(restartedBy: string): void;
  fromBeginning?: boolean;
  rebalanceGraceMs?: number;
}

export function createStoringConsumer({
  kafka,
  name,
  groupId,
  topic,
  log,
  storeBatch,
  onUp,
  onCrash,
  fromBeginning = true,
  rebalanceGraceMs = 30_000,
}: StoringConsumerOptions): AlertConsumer {
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted: false });
  const supervised: SupervisedConsumer = superviseConsumer({
    name,
    consumer,
    log,
    subscribe: (c) => c.subscribe({ topic, fromBeginning }),
    onState: (state) => onUp(state === 'consuming'),
    onCrash: (_err, restartedBy) => onCrash(restartedBy),
    run: (c) =>
      c.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          if (batch.messages.length === 0) return;
          // Past the last record of the batch, including transaction markers and aborted records
          // that read-committed filtered out, so the group's lag reaches 0.
          const lastOffset = batch.lastOffset();
          // kafkajs heartbeats only when told to: a batch waiting for a busy database (PGlite runs one
          // query at a time for every consumer of the process) must not cost the group its member.
          const beat = setInterval(() => void heartbeat().catch(() => {}), 3_000);
          try {
            await storeBatch({ topic: batch.topic, partition: batch.partition, messages: batch.messages });
          } finally {
            clearInterval(beat);
          }
          // Only now that the rows are stored does the group move past them.
          await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() }]);
          resolveOffset(lastOffset);
          await heartbeat();
        },
      }),
  });

  return {
    async start() {
      await supervised.start();
      log.info({ topic, groupId }, `consuming ${name}`);
    },
    stop: () => supervised.stop(),
    problems: () => supervised.notConsuming({ rebalanceGraceMs, fetchStallMs: Math.max(60_000, 2 * rebalanceGraceMs) }),
  };
}

export function createAlertConsumer({ kafka, groupId, topic, store, metrics, log, onStored = () => {}, fromBeginning = true, rebalanceGraceMs = 30_000 }: AlertConsumerOptions): AlertConsumer {
  return createStoringConsumer({
    kafka,
    name: 'alerts',
    groupId,
    topic,
    log,
    fromBeginning,
    rebalanceGraceMs,
    onUp: (up) => metrics.consumerUp.set(up ? 1 : 0),
    onCrash: (restart) => metrics.consumerCrashes.inc({ restart }),
    storeBatch: async ({ topic: from, partition, messages }) => {
      const outcome = await storeAlertMessages(messages, { store, log, topic: from, partition });
      metrics.alertsStored.inc(outcome.stored);
      metrics.alertsDuplicate.inc(outcome.duplicates);
      for (const code of outcome.invalidCodes) metrics.alertsInvalid.inc({ code });
      if (outcome.stored > 0) onStored();
    },
  });
}
