import { describe, expect, it, onTestFinished } from 'vitest';
import type { RuleHitCounts } from '@fraudstream/shared';
import { createTestTopics, testKafka, testLog, uniqueName } from '../../../test/support/kafka.js';
import { createMetrics } from '../src/metrics.js';
import { createRuleHitsConsumer } from '../src/rule-hits.js';
import { openTestPglite, openTestStore } from './fixtures.js';

const counts = (hits: number): RuleHitCounts => ({
  schemaVersion: 1,
  detectedAt: new Date().toISOString(),
  payments: 100,
  rules: [{ ruleId: 'ceiling', version: 1, action: 'review', mode: 'shadow', hits, errors: 0 }],
});

describe('rule hits from Kafka to the store', () => {
  it('counts committed batches once, never aborted ones, and skips what is not counts', { timeout: 90_000 }, async () => {
    const kafka = testKafka();
    const topic = uniqueName('fraud.rule-hits');
    await createTestTopics(kafka, [{ topic, partitions: 2 }]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: uniqueName('detector-tx') });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const send = async (value: string, commit: boolean, partition = 0) => {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: [{ value, partition }] });
      await (commit ? tx.commit() : tx.abort());
    };
    await send(JSON.stringify(counts(3)), true);
    await send(JSON.stringify(counts(1_000)), false);
    await send('{"schemaVersion":1,"payments":"many"}', true, 1);
    await send(JSON.stringify(counts(4)), true, 1);

    const store = await openTestStore(openTestPglite);
    const metrics = createMetrics();
    const consumer = createRuleHitsConsumer({ kafka, groupId: uniqueName('alerts-rule-hits'), topic, store, metrics, log: testLog });
    onTestFinished(() => consumer.stop());
    await consumer.start();
    const deadline = Date.now() + 60_000;
    while ((await store.ruleHits.totals(new Date())).payments.lastHour < 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const totals = await store.ruleHits.totals(new Date());
    expect(totals.payments.lastHour).toBe(200);
    expect(totals.rules).toEqual([expect.objectContaining({ ruleId: 'ceiling', mode: 'shadow', lastHour: { hits: 7, errors: 0 } })]);
    expect(await metrics.registry.getSingleMetricAsString('fraudstream_alerts_rule_hits_invalid_total')).toMatch(/ 1$/m);
    expect(consumer.problems()).toEqual([]);
  });
});
