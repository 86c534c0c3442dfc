import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import pg from 'pg';
import { decodeLabel, type Label } from '@fraudstream/shared';
import { eventually } from '../../../test/support/eventually.js';
import { createTestTopics, testKafka, testLog, uniqueName } from '../../../test/support/kafka.js';
import { buildApp } from '../src/app.js';
import { createMetrics } from '../src/metrics.js';
import { createLabelOutbox } from '../src/outbox.js';
import { createAlertStore } from '../src/store/alert-store.js';
import { openPglite, openPostgres, type Database } from '../src/store/database.js';
import { createAlertFeed } from '../src/stream/alert-feed.js';
import { apiToken, backends, makeAlert, openTestPostgres, recordingProducer, testApp, testDatabaseUrl, testOutbox } from './fixtures.js';

const auth = { authorization: `Bearer ${apiToken}` };

async function review(app: Awaited<ReturnType<typeof testApp>>['app'], alertId: string, label: 'fraud' | 'legit'): Promise<void> {
  const response = await app.inject({ method: 'POST', url: `/alerts/${alertId}/feedback`, headers: auth, payload: { label } });
  expect(response.statusCode, response.body).toBe(200);
}

/** A database that can be closed and opened again with what it holds: one process stopping, the next starting. */
const restartable = [
  {
    name: 'PostgreSQL',
    make(): () => Promise<Database> {
      const schema = `alerts_test_${randomBytes(6).toString('hex')}`;
      onTestFinished(async () => {
        const admin = new pg.Client({ connectionString: testDatabaseUrl });
        await admin.connect();
        try {
          await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        } finally {
          await admin.end();
        }
      });
      return () => openPostgres({ connectionString: testDatabaseUrl, schema, maxConnections: 4 });
    },
  },
  {
    name: 'PGlite',
    make(): () => Promise<Database> {
      const dir = mkdtempSync(join(tmpdir(), 'fraudstream-outbox-'));
      onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
      return () => openPglite(dir);
    },
  },
] as const;

describe.each(backends)('label outbox on $name', ({ open }) => {
  it('keeps the verdict and its label together: when the label cannot be queued, the verdict is not stored either', async () => {
    const db = await open();
    const { app, store, outbox, producer } = await openInstance(db);
    const alert = makeAlert();
    await store.insertAlerts([alert]);
    // A real failure of the second write of the transaction: the database refuses every new outbox row.
    await db.query('ALTER TABLE label_outbox ADD CONSTRAINT refuse_labels CHECK (false) NOT VALID');
    const response = await app.inject({ method: 'POST', url: `/alerts/${alert.alertId}/feedback`, headers: auth, payload: { label: 'fraud' } });
    expect(response.statusCode).toBe(503);
    expect(await store.getAlert(alert.alertId)).toMatchObject({ status: 'open', feedback: null });
    expect(await outbox.publishPending()).toBe(0);
    expect(producer.sent).toEqual([]);
  });

  it('lets one replica publish at a time, so labels go out once and in order', async () => {
    const { app, store } = await testApp(open);
    const alerts = Array.from({ length: 5 }, (_, index) => makeAlert({ cardId: `card-${index % 2}` }));
    await store.insertAlerts(alerts);
    for (const alert of alerts) await review(app, alert.alertId, 'fraud');

    const first = recordingProducer();
    const send = first.sendBatch;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let sending: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => (sending = resolve));
    first.sendBatch = async (batch) => {
      sending();
      await released;
      return send(batch);
    };
    const second = recordingProducer();
    const [replicaA, replicaB] = [testOutbox(store, first), testOutbox(store, second)];

    const publishedByA = replicaA.publishPending();
    await inFlight;
    expect(await replicaB.publishPending()).toBe(0);
    release();
    expect(await publishedByA).toBe(5);
    expect(second.sent).toEqual([]);
    expect(first.labels().map((label) => label.transactionId)).toEqual(alerts.map((alert) => alert.transaction.transactionId));

    // The lease was released with the outbox empty: the other replica publishes the next one.
    const next = makeAlert();
    await store.insertAlerts([next]);
    await review(app, next.alertId, 'legit');
    expect(await replicaB.publishPending()).toBe(1);
    expect(second.labels()).toMatchObject([{ transactionId: next.transaction.transactionId, fraud: false }]);
  });

  it('says on /readyz and in its metrics when a label has waited longer than the bound', async () => {
    const { app, store, outbox, producer } = await testApp(open, { outbox: { maxPendingMs: 0 } });
    const alert = makeAlert();
    await store.insertAlerts([alert]);
    const sendBatch = producer.sendBatch;
    producer.sendBatch = async () => {
      throw new Error('KafkaJSConnectionError: Connection timeout');
    };
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    await review(app, alert.alertId, 'fraud');
    await expect(outbox.publishPending()).rejects.toThrow(/Connection timeout/);

    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json<{ checks: Record<string, string> }>().checks).toMatchObject({
      store: 'ok',
      labels: expect.stringMatching(/^unavailable: 1 label\(s\) pending, the oldest for \d+ s \(more than 0 s\); last error: Error: KafkaJSConnectionError: Connection timeout$/),
    });
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^fraudstream_alerts_outbox_pending 1$/m);
    expect(metrics).toMatch(/^fraudstream_alerts_outbox_oldest_pending_age_seconds \d/m);
    expect(metrics).toMatch(/^fraudstream_alerts_label_publish_failures_total 1$/m);

    producer.sendBatch = sendBatch;
    expect(await outbox.publishPending()).toBe(1);
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ok', checks: { store: 'ok', labels: 'ok' } });
    const after = (await app.inject({ url: '/metrics' })).body;
    expect(after).toMatch(/^fraudstream_alerts_outbox_pending 0$/m);
    expect(after).toMatch(/^fraudstream_alerts_outbox_oldest_pending_age_seconds 0$/m);
    expect(after).toMatch(/^fraudstream_alerts_labels_published_total 1$/m);
  });

  it('stops after the send in flight, whose labels are then acknowledged and gone from the outbox', async () => {
    const { app, store, outbox, producer } = await testApp(open, { outbox: { pollIntervalMs: 60_000 } });
    const alert = makeAlert();
    await store.insertAlerts([alert]);
    const send = producer.sendBatch;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let sending: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => (sending = resolve));
    producer.sendBatch = async (batch) => {
      sending();
      await released;
      return send(batch);
    };
    outbox.start();
    await review(app, alert.alertId, 'fraud');
    await inFlight;
    let stopped = false;
    const stopping = outbox.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(producer.labels()).toMatchObject([{ transactionId: alert.transaction.transactionId }]);
    expect(await store.labelOutbox.backlog()).toEqual({ pending: 0, oldestAgeMs: null });
    // Stopped: a later verdict stays in the outbox for the next instance.
    const later = makeAlert();
    await store.insertAlerts([later]);
    await review(app, later.alertId, 'legit');
    await outbox.stop();
    expect(await store.labelOutbox.backlog()).toMatchObject({ pending: 1 });
    expect(producer.sent).toHaveLength(1);
  });

  it('publishes nothing while the database is down, and what was committed once it is back', async () => {
    const { app, store, outbox, producer } = await testApp(open);
    const alert = makeAlert();
    await store.insertAlerts([alert]);
    await review(app, alert.alertId, 'fraud');
    const backlog = store.labelOutbox.backlog;
    store.labelOutbox.backlog = async () => {
      throw new Error('Connection terminated unexpectedly');
    };
    await expect(outbox.publishPending()).rejects.toThrow(/Connection terminated/);
    expect(producer.sent).toEqual([]);
    store.labelOutbox.backlog = backlog;
    expect(await outbox.publishPending()).toBe(1);
  });
});

describe.each(restartable)('label outbox across a restart on $name', ({ make }) => {
  it('publishes the labels a stopped instance left pending, even when it died holding the lease', async () => {
    const open = make();
    const first = await openInstance(await open(), { leaseMs: 300 });
    const alerts = [makeAlert(), makeAlert(), makeAlert()];
    await first.store.insertAlerts(alerts);
    for (const alert of alerts) await review(first.app, alert.alertId, 'fraud');
    // Its send never completes: the process dies in the middle of it, lease held, nothing deleted.
    let sending: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => (sending = resolve));
    let crash: (err: Error) => void = () => {};
    first.producer.sendBatch = () =>
      new Promise((_resolve, reject) => {
        crash = reject;
        sending();
      });
    const stuck = first.outbox.publishPending();
    onTestFinished(() => crash(new Error('process killed')));
    await inFlight;
    await first.app.close();
    await first.store.close();

    const second = await openInstance(await open());
    second.outbox.start();
    await eventually('the restarted instance to publish the pending labels', async () => (second.producer.sent.length >= 3 ? true : undefined), 20_000, 20);
    expect(second.producer.labels().map((label) => label.transactionId)).toEqual(alerts.map((alert) => alert.transaction.transactionId));
    expect((await second.store.getAlert(alerts[0]!.alertId))?.status).toBe('fraud');
    await eventually('the outbox to empty', async () => ((await second.store.labelOutbox.backlog()).pending === 0 ? true : undefined), 20_000, 20);
    crash(new Error('process killed'));
    await expect(stuck).rejects.toThrow(/process killed/);
  });
});

describe('label outbox against the real broker', () => {
  it('delivers every verdict to fraud.labels in order, exactly once, across a Kafka outage', async () => {
    const kafka = testKafka();
    const topic = uniqueName('fraud.labels');
    await createTestTopics(kafka, [{ topic, partitions: 1 }]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    onTestFinished(() => producer.disconnect());

    const { app, store, outbox } = await testApp(openTestPostgres, { outbox: { producer, topic } });
    outbox.start();
    const alerts = Array.from({ length: 6 }, (_, index) => makeAlert({ cardId: `card-${index % 3}` }));
    await store.insertAlerts(alerts);

    await review(app, alerts[0]!.alertId, 'fraud');
    const received: Array<{ key: string | undefined; label: Label }> = [];
    const reader = kafka.consumer({ groupId: uniqueName('labels-reader') });
    await reader.connect();
    onTestFinished(() => reader.disconnect());
    await reader.subscribe({ topic, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const decoded = decodeLabel(message.value);
        if (decoded.ok) received.push({ key: message.key?.toString(), label: decoded.value });
      },
    });
    await eventually('the first label on the topic', async () => (received.length === 1 ? true : undefined), 30_000);

    // Kafka refuses: verdicts are still answered and stored; labels wait in the outbox.
    const sendBatch = producer.sendBatch.bind(producer);
    let refused = 0;
    producer.sendBatch = async () => {
      refused++;
      throw new Error('KafkaJSConnectionError: Connection error: connect ECONNREFUSED');
    };
    for (const alert of alerts.slice(1)) await review(app, alert.alertId, alert === alerts[2] ? 'legit' : 'fraud');
    await eventually('the publisher to have been refused twice', async () => (refused >= 2 ? true : undefined), 30_000, 20);
    expect(await store.labelOutbox.backlog()).toMatchObject({ pending: 5 });
    producer.sendBatch = sendBatch;

    await eventually('all labels on the topic', async () => (received.length >= alerts.length ? true : undefined), 30_000);
    await eventually('the outbox to empty', async () => ((await store.labelOutbox.backlog()).pending === 0 ? true : undefined), 30_000);
    await outbox.stop();
    expect(received.map(({ key, label }) => [key, label.transactionId, label.fraud, label.source])).toEqual(
      alerts.map((alert) => [alert.transaction.cardId, alert.transaction.transactionId, alert !== alerts[2], 'analyst']),
    );
  });
});

/** One alerts service instance on `db`: app, store and outbox (not started) with a recording producer. */
async function openInstance(db: Database, outboxOptions: { leaseMs?: number } = {}) {
  const store = await createAlertStore(db);
  onTestFinished(() => store.close());
  const metrics = createMetrics();
  const producer = recordingProducer();
  const outbox = createLabelOutbox({
    outbox: store.labelOutbox,
    producer,
    topic: 'fraud.labels',
    metrics,
    log: testLog,
    maxPendingMs: 60_000,
    pollIntervalMs: 50,
    backoff: { initialMs: 10, maxMs: 50 },
    ...outboxOptions,
  });
  onTestFinished(() => outbox.stop());
  const feed = createAlertFeed({ store, metrics, log: testLog });
  const app = await buildApp({ store, labels: outbox, feed, metrics, apiToken, log: testLog });
  onTestFinished(() => app.close());
  return { store, producer, outbox, app };
}
