import { describe, expect, it, onTestFinished } from 'vitest';
import { decodeLabel, encode, type Alert, type Label } from '@fraudstream/shared';
import { createTestTopics, testKafka, testLog, uniqueName } from '../../../test/support/kafka.js';
import { buildApp } from '../src/app.js';
import { createAlertConsumer, storeAlertMessages } from '../src/consumer.js';
import { createMetrics } from '../src/metrics.js';
import { createLabelOutbox } from '../src/outbox.js';
import type { StoredAlert } from '../src/schemas.js';
import { createAlertFeed } from '../src/stream/alert-feed.js';
import { apiToken, makeAlert, openTestPglite, openTestPostgres, openTestStore } from './fixtures.js';

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('storeAlertMessages', () => {
  it('stores valid alerts once and skips what does not decode', async () => {
    const store = await openTestStore(openTestPglite);
    const [first, second] = [makeAlert(), makeAlert()];
    const messages = [
      { offset: '0', value: encode(first!) },
      { offset: '1', value: Buffer.from('{"schemaVersion":1,"alertId":"nope"}') },
      { offset: '2', value: encode(second!) },
      { offset: '3', value: encode(first!) },
      { offset: '4', value: null },
    ];
    const outcome = await storeAlertMessages(messages, { store, log: testLog, topic: 'fraud.alerts', partition: 0 });
    expect(outcome).toEqual({ stored: 2, duplicates: 1, invalid: 2, invalidCodes: ['SCHEMA_VIOLATION', 'EMPTY_MESSAGE'] });
    expect((await store.listAlerts({}, 10)).map((row) => (JSON.parse(row.json) as StoredAlert).alertId).sort()).toEqual([first!.alertId, second!.alertId].sort());
  });
});

describe('alerts from Kafka to the REST API', () => {
  it('stores what the detector publishes once, serves it, and sends analyst feedback to the labels topic', async () => {
    const kafka = testKafka();
    const alertsTopic = uniqueName('fraud.alerts');
    const labelsTopic = uniqueName('fraud.labels');
    const groupId = uniqueName('alerts-group');
    await createTestTopics(kafka, [
      { topic: alertsTopic, partitions: 3 },
      { topic: labelsTopic, partitions: 1 },
    ]);

    const store = await openTestStore(openTestPostgres);
    const metrics = createMetrics();
    const feed = createAlertFeed({ store, metrics, log: testLog });
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const consumer = createAlertConsumer({ kafka, groupId, topic: alertsTopic, store, metrics, log: testLog, onStored: feed.notify });
    onTestFinished(() => consumer.stop());
    const labels = createLabelOutbox({ outbox: store.labelOutbox, producer, topic: labelsTopic, metrics, log: testLog, maxPendingMs: 60_000 });
    onTestFinished(() => labels.stop());
    const app = await buildApp({
      store,
      labels,
      feed,
      metrics,
      apiToken,
      consumerProblems: () => consumer.problems(),
      log: testLog,
    });
    onTestFinished(() => app.close());
    await consumer.start();
    labels.start();

    const alerts = Array.from({ length: 30 }, (_, index) => makeAlert({ cardId: `card-${index % 5}` }));
    const toMessage = (alert: Alert) => ({ key: alert.transaction.cardId, value: encode(alert) });
    await producer.send({ topic: alertsTopic, messages: alerts.map(toMessage) });
    // The detector publishes in Kafka transactions: committed ones count (here: redeliveries of
    // alerts already sent), aborted ones must never be stored.
    const transactional = kafka.producer({ transactionalId: uniqueName('alerts-tx'), idempotent: true, maxInFlightRequests: 1 });
    await transactional.connect();
    onTestFinished(() => transactional.disconnect());
    const committed = await transactional.transaction();
    await committed.send({ topic: alertsTopic, messages: alerts.slice(0, 10).map(toMessage) });
    await committed.commit();
    const aborted = await transactional.transaction();
    const abortedAlerts = [makeAlert({ cardId: 'card-0' }), makeAlert({ cardId: 'card-3' })];
    await aborted.send({ topic: alertsTopic, messages: abortedAlerts.map(toMessage) });
    await aborted.abort();
    await producer.send({ topic: alertsTopic, messages: [{ key: 'card-0', value: Buffer.from('not json') }] });

    const listed = await eventually(async () => {
      const page = (await app.inject({ url: '/alerts', query: { limit: '100' } })).json<{ items: StoredAlert[] }>();
      return page.items.length >= alerts.length ? page.items : undefined;
    }, 'the alerts to be stored');
    expect(listed.map((alert) => alert.alertId).sort()).toEqual(alerts.map((alert) => alert.alertId).sort());

    // Offsets are committed once the rows are stored: the group's committed positions reach the end of every partition.
    const admin = kafka.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    const endOffsets = await admin.fetchTopicOffsets(alertsTopic);
    await eventually(async () => {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [alertsTopic] });
      const positions = new Map(committed?.partitions.map((partition) => [partition.partition, partition.offset]));
      // An empty partition has nothing to commit (-1).
      const done = endOffsets.every((end) => end.high === '0' || positions.get(end.partition) === end.high);
      return done ? true : undefined;
    }, 'committed offsets to reach the end of the topic');
    for (const alert of abortedAlerts) expect((await app.inject({ url: `/alerts/${alert.alertId}` })).statusCode).toBe(404);
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ok', checks: { store: 'ok', consumer: 'ok', labels: 'ok' } });
    const metricsText = (await app.inject({ url: '/metrics' })).body;
    expect(metricsText).toMatch(/fraudstream_alerts_stored_total 30\b/);
    expect(metricsText).toMatch(/fraudstream_alerts_duplicate_total 10\b/);
    expect(metricsText).toMatch(/fraudstream_alerts_invalid_total\{code="MALFORMED_JSON"\} 1\b/);

    const reviewed = alerts[3]!;
    const feedback = await app.inject({
      method: 'POST',
      url: `/alerts/${reviewed.alertId}/feedback`,
      headers: { authorization: `Bearer ${apiToken}` },
      payload: { label: 'fraud', note: 'confirmed with the cardholder' },
    });
    expect(feedback.statusCode).toBe(200);

    const labelConsumer = kafka.consumer({ groupId: uniqueName('labels-reader') });
    await labelConsumer.connect();
    onTestFinished(() => labelConsumer.disconnect());
    await labelConsumer.subscribe({ topic: labelsTopic, fromBeginning: true });
    const received: Array<{ key: string | undefined; label: Label }> = [];
    await labelConsumer.run({
      eachMessage: async ({ message }) => {
        const decoded = decodeLabel(message.value);
        if (decoded.ok) received.push({ key: message.key?.toString(), label: decoded.value });
      },
    });
    const [label] = await eventually(async () => (received.length > 0 ? received : undefined), 'the label on the labels topic');
    expect(label).toMatchObject({
      key: reviewed.transaction.cardId,
      label: {
        transactionId: reviewed.transaction.transactionId,
        cardId: reviewed.transaction.cardId,
        terminalId: reviewed.transaction.terminalId,
        transactionTimestamp: reviewed.transaction.timestamp,
        fraud: true,
        source: 'analyst',
        note: 'confirmed with the cardholder',
      },
    });
    expect((await app.inject({ url: `/alerts/${reviewed.alertId}` })).json()).toMatchObject({ status: 'fraud' });
    await eventually(async () => ((await store.labelOutbox.backlog()).pending === 0 ? true : undefined), 'the outbox to empty');
    expect((await app.inject({ url: '/metrics' })).body).toMatch(/^fraudstream_alerts_labels_published_total 1$/m);
  });
});
