import { decodeLabel, decodeScoredTransaction, type Kafka, type KafkaMessage, type Label, type Logger, type ScoredTransaction } from '@fraudstream/shared';
import { createStoringConsumer, type AlertConsumer } from '../consumer.js';
import type { Metrics } from '../metrics.js';
import type { PaymentStore } from '../store/payments.js';

/** Rows per statement: keeps one JSON parameter small. */
const INSERT_CHUNK = 2_000;
const PRUNE_EVERY_MS = 10 * 60_000;

export interface PaymentsConsumerOptions {
  kafka: Kafka;
  /** The two consumer groups are `${groupId}-payments` and `${groupId}-payment-labels`. */
  groupId: string;
  topics: { scores: string; labels: string };
  store: PaymentStore;
  keepDays: number;
  metrics: Metrics;
  log: Logger;
  rebalanceGraceMs?: number;
}

/** Decodes every message; one that does not decode is logged with its offset, counted and skipped. */
function decodeAll<T>(
  messages: readonly KafkaMessage[],
  decode: (bytes: Buffer | null) => { ok: true; value: T } | { ok: false; error: { code: string; path: string; message: string } },
  context: { topic: string; partition: number; metrics: Metrics; log: Logger },
): T[] {
  const valid: T[] = [];
  for (const message of messages) {
    const decoded = decode(message.value);
    if (decoded.ok) valid.push(decoded.value);
    else {
      context.metrics.paymentsInvalid.inc({ topic: context.topic, code: decoded.error.code });
      context.log.error({ topic: context.topic, partition: context.partition, offset: message.offset, error: decoded.error }, 'invalid message skipped by the payments store');
    }
  }
  return valid;
}

/**
 * The payments store's two consumers, read-committed (only what a detector's Kafka transaction
 * committed): every score from `fraud.scores` and every label from `fraud.labels`. Each batch is
 * stored before its offsets are committed; storing is idempotent, so a batch delivered again after a
 * crash changes nothing. While the database is down a batch fails and is fetched again.
 */
export function createPaymentsConsumers(options: PaymentsConsumerOptions): { scores: AlertConsumer; labels: AlertConsumer } {
  const { store, metrics, log } = options;
  let prunedAt = 0;
  const scores = createStoringConsumer({
    kafka: options.kafka,
    name: 'scored payments',
    groupId: `${options.groupId}-payments`,
    topic: options.topics.scores,
    log,
    ...(options.rebalanceGraceMs === undefined ? {} : { rebalanceGraceMs: options.rebalanceGraceMs }),
    onUp: (up) => metrics.paymentsConsumerUp.set({ consumer: 'scores' }, up ? 1 : 0),
    onCrash: (restart) => metrics.paymentsConsumerCrashes.inc({ consumer: 'scores', restart }),
    storeBatch: async ({ topic, partition, messages }) => {
      const valid = decodeAll<ScoredTransaction>(messages, decodeScoredTransaction, { topic, partition, metrics, log });
      for (let start = 0; start < valid.length; start += INSERT_CHUNK) {
        const { inserted, tooOld } = await store.addScores(valid.slice(start, start + INSERT_CHUNK));
        metrics.paymentsStored.inc(inserted);
        metrics.paymentsTooOld.inc(tooOld);
      }
      if (Date.now() - prunedAt > PRUNE_EVERY_MS) {
        prunedAt = Date.now();
        const dropped = await store.prune(options.keepDays);
        if (dropped.length > 0) log.info({ dropped }, 'payments store: old days dropped');
      }
    },
  });
  const labels = createStoringConsumer({
    kafka: options.kafka,
    name: 'payment labels',
    groupId: `${options.groupId}-payment-labels`,
    topic: options.topics.labels,
    log,
    ...(options.rebalanceGraceMs === undefined ? {} : { rebalanceGraceMs: options.rebalanceGraceMs }),
    onUp: (up) => metrics.paymentsConsumerUp.set({ consumer: 'labels' }, up ? 1 : 0),
    onCrash: (restart) => metrics.paymentsConsumerCrashes.inc({ consumer: 'labels', restart }),
    storeBatch: async ({ topic, partition, messages }) => {
      const valid = decodeAll<Label>(messages, decodeLabel, { topic, partition, metrics, log });
      for (let start = 0; start < valid.length; start += INSERT_CHUNK) {
        metrics.paymentLabelsStored.inc(await store.addLabels(valid.slice(start, start + INSERT_CHUNK)));
      }
    },
  });
  return { scores, labels };
}
