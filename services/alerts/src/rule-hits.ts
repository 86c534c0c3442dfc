import { decodeWith, RuleHitCounts, type Kafka, type Logger } from '@fraudstream/shared';
import { createStoringConsumer, type AlertConsumer } from './consumer.js';
import type { Metrics } from './metrics.js';
import type { AlertStore } from './store/alert-store.js';

/** Minutes older than this are dropped; the Rules page shows the last day. */
const KEEP_MS = 2 * 86_400_000;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Consumes the detectors' rule hit counts (`fraud.rule-hits`, read-committed: only committed batches
 * count) into the store's per-minute sums, for GET /rule-hits and the Rules page. A message that is
 * not valid counts is logged with its offset, counted and skipped.
 */
export function createRuleHitsConsumer(options: { kafka: Kafka; groupId: string; topic: string; store: AlertStore; metrics: Metrics; log: Logger; rebalanceGraceMs?: number }): AlertConsumer {
  const { store, metrics, log } = options;
  let prunedAt = 0;
  return createStoringConsumer({
    ...options,
    name: 'rule hits',
    onUp: (up) => metrics.ruleHitsConsumerUp.set(up ? 1 : 0),
    onCrash: (restart) => metrics.ruleHitsConsumerCrashes.inc({ restart }),
    storeBatch: async ({ topic, partition, messages }) => {
      const valid: Array<{ offset: string; counts: RuleHitCounts }> = [];
      for (const message of messages) {
        const decoded = decodeWith(RuleHitCounts, message.value);
        if (decoded.ok) valid.push({ offset: message.offset, counts: decoded.value });
        else {
          metrics.ruleHitsInvalid.inc();
          log.error({ topic, partition, offset: message.offset, error: decoded.error }, 'invalid rule hit counts skipped');
        }
      }
      await store.ruleHits.add(topic, partition, valid);
      if (Date.now() - prunedAt > PRUNE_EVERY_MS) {
        prunedAt = Date.now();
        await store.ruleHits.prune(new Date(Date.now() - KEEP_MS));
      }
    },
  });
}
