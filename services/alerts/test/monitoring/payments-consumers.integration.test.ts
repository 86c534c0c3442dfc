import { describe, expect, it, onTestFinished } from 'vitest';
import { encode } from '@fraudstream/shared';
import { createTestTopics, testKafka, testLog, uniqueName } from '../../../../test/support/kafka.js';
import { createMetrics } from '../../src/metrics.js';
import { createPaymentsConsumers } from '../../src/monitoring/payments-consumers.js';
import { chargeback, openTestPglite, openTestStore, scoredPayment } from '../fixtures.js';

const until = async (check: () => Promise<boolean>, ms = 60_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('the payments store from Kafka', () => {
  it('stores committed scores and every label, once, never aborted scores, and skips what does not decode', { timeout: 120_000 }, async () => {
    const kafka = testKafka();
    const topics = { scores: uniqueName('fraud.scores'), labels: uniqueName('fraud.labels') };
    await createTestTopics(kafka, [{ topic: topics.scores, partitions: 2 }, { topic: topics.labels, partitions: 2 }]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, transactionalId: uniqueName('detector-tx') });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const a = scoredPayment('tx-a', '2018-04-01T10:00:00.000Z', { score: 0.9, flagged: true, decision: 'review' });
    const b = scoredPayment('tx-b', '2018-04-02T10:00:00.000Z');
    const send = async (topic: string, values: string[], commit: boolean) => {
      const tx = await producer.transaction();
      await tx.send({ topic, messages: values.map((value, index) => ({ value, partition: index % 2 })) });
      await (commit ? tx.commit() : tx.abort());
    };
    await send(topics.scores, [JSON.stringify(a), JSON.stringify(b)], true);
    await send(topics.scores, [JSON.stringify(scoredPayment('tx-aborted', '2018-04-02T11:00:00.000Z'))], false);
    await send(topics.scores, ['{"schemaVersion":1,"score":"high"}', JSON.stringify(a)], true);
    await send(topics.labels, [encode(chargeback(a, '2018-04-08T10:00:00.000Z')).toString(), 'not json'], true);

    const store = await openTestStore(openTestPglite);
    const metrics = createMetrics();
    const consumers = createPaymentsConsumers({ kafka, groupId: uniqueName('alerts'), topics, store: store.payments, keepDays: 30, metrics, log: testLog });
    onTestFinished(async () => void (await Promise.all([consumers.scores.stop(), consumers.labels.stop()])));
    await consumers.scores.start();
    await consumers.labels.start();
    await until(async () => {
      const counts = await store.payments.dayCounts('2018-04-01', 'champion');
      return counts.reduce((sum, day) => sum + day.payments, 0) === 2 && counts[0]?.frauds === 1;
    });
    expect(await store.payments.dayCounts('2018-04-01', 'champion')).toEqual([
      { day: '2018-04-01', modelVersion: 'm1', payments: 1, alerts: 1, frauds: 1, truePositives: 1 },
      { day: '2018-04-02', modelVersion: 'm1', payments: 1, alerts: 0, frauds: 0, truePositives: 0 },
    ]);
    // The invalid messages sit on the other partition of each topic: counted once that one is read too.
    const expected = [
      'fraudstream_payments_stored_total 2',
      `fraudstream_payments_invalid_total{topic="${topics.scores}",code="SCHEMA_VIOLATION"} 1`,
      `fraudstream_payments_invalid_total{topic="${topics.labels}",code="MALFORMED_JSON"} 1`,
      'fraudstream_payment_labels_stored_total 1',
    ];
    await until(async () => {
      const text = await metrics.registry.metrics();
      return expected.every((line) => text.includes(line));
    }).catch(() => undefined);
    // Says which line is missing when the wait timed out.
    const text = await metrics.registry.metrics();
    for (const line of expected) expect(text).toContain(line);
    // Nothing more is stored once everything was read (a duplicate would show here).
    expect(await store.payments.dayCounts('2018-04-01', 'champion')).toHaveLength(2);
    await until(() => Promise.resolve(consumers.scores.problems().length === 0 && consumers.labels.problems().length === 0));
  });

  it('keeps a batch until the database takes it: nothing is lost while it is down', { timeout: 120_000 }, async () => {
    const kafka = testKafka();
    const topics = { scores: uniqueName('fraud.scores'), labels: uniqueName('fraud.labels') };
    await createTestTopics(kafka, [{ topic: topics.scores, partitions: 1 }, { topic: topics.labels, partitions: 1 }]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const store = await openTestStore(openTestPglite);
    // The database refuses every write until it is back.
    let down = true;
    const addScores = store.payments.addScores.bind(store.payments);
    const payments = { ...store.payments, addScores: (scores: Parameters<typeof addScores>[0]) => (down ? Promise.reject(new Error('connection refused')) : addScores(scores)) };
    const metrics = createMetrics();
    const consumers = createPaymentsConsumers({ kafka, groupId: uniqueName('alerts'), topics, store: payments, keepDays: 30, metrics, log: testLog });
    onTestFinished(async () => void (await Promise.all([consumers.scores.stop(), consumers.labels.stop()])));
    await consumers.scores.start();
    await producer.send({ topic: topics.scores, messages: [{ value: JSON.stringify(scoredPayment('tx-a', '2018-04-01T10:00:00.000Z')) }] });
    await until(async () => (await metrics.registry.metrics()).includes('fraudstream_payments_consumer_crashes_total{consumer="scores"'));
    down = false;
    await until(async () => (await store.payments.dayCounts('2018-04-01', 'champion')).length === 1, 90_000);
    expect(await store.payments.dayCounts('2018-04-01', 'champion')).toMatchObject([{ payments: 1 }]);
  });
});
