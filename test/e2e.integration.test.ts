/**
 * The whole system, started the way `npm start` starts it (its own Kafka broker, the alerts service,
 * two detector replicas sharing Redis, alerts in PostgreSQL), fed a simulated CSV with known frauds
 * through the producer's replay. Alerts must reach REST and SSE for exactly the transactions the
 * offline scorer flags with the same model; analyst feedback must reach fraud.labels and the
 * detectors' feature store.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createKafkaForBrokers, decodeLabel, topics, type DeadLetter, type Label } from '@fraudstream/shared';
import { DEFAULT_MODEL_DIR } from '@fraudstream/model';
import { freePort } from '../scripts/kafka/local-broker.js';
import { startSystem, type RunningSystem } from '../scripts/start/system.js';
import { testLog } from './support/kafka.js';
import { openEventStream, type EventStream } from './support/sse.js';
import {
  allAlerts,
  createTestDatabase,
  deleteRedisKeys,
  eventually,
  REDIS_URL,
  simulatedReplay,
  topicRecords,
  type StoredAlert,
} from './support/system.js';

const START = '2026-01-01';
const DAYS = 21;

describe('fraudstream end to end (own Kafka broker, Redis, PostgreSQL)', () => {
  const work = mkdtempSync(join(tmpdir(), 'fraudstream-e2e-'));
  const redisPrefix = `test-e2e-${randomBytes(4).toString('hex')}:`;
  const apiToken = `e2e-${randomBytes(12).toString('hex')}`;
  const adminToken = `e2e-admin-${randomBytes(12).toString('hex')}`;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let system: RunningSystem;
  let stream: EventStream;
  let csv: string;
  let expected: Map<string, number>;
  let known: { frauds: number; fraudsFlagged: number };

  beforeAll(async () => {
    database = await createTestDatabase('fraudstream_e2e');
    // A small simulated month with all three fraud scenarios, and what the offline scorer flags in
    // it with the model the detectors load: the alerts the system must raise.
    const replay = await simulatedReplay(work, { customers: 300, days: DAYS, start: START, seed: 7 });
    ({ csv, expected } = replay);
    known = { frauds: replay.frauds, fraudsFlagged: replay.fraudsFlagged };

    system = await startSystem({
      stateDir: join(work, 'state'),
      env: { ...process.env, KAFKA_BROKERS: undefined, MODEL_DIR: DEFAULT_MODEL_DIR },
      redisUrl: REDIS_URL,
      redisKeyPrefix: redisPrefix,
      databaseUrl: database.url,
      detectors: 2,
      alertsPort: await freePort(),
      apiToken,
      adminToken,
      partitions: 4,
      logLevel: 'info',
      log: testLog,
    });
    stream = await openEventStream(`${system.dashboardUrl}alerts/stream`);
  }, 240_000);

  afterAll(async () => {
    stream?.close();
    await system?.stop();
    await database?.drop();
    await deleteRedisKeys(REDIS_URL, redisPrefix);
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('raises an alert for every transaction the model flags offline, over REST and SSE, within seconds of the replay', async () => {
    expect(known.frauds).toBeGreaterThan(20);
    expect(known.fraudsFlagged).toBeGreaterThan(0);
    const replay = system.startProducer(['--replay', csv]);
    const { code } = await replay.exited;
    expect(code, replay.tail()).toBe(0);
    const replayedAt = Date.now();

    const alerts = await eventually(
      `${expected.size} alerts over REST`,
      async () => {
        const stored = await allAlerts(system.dashboardUrl);
        return stored.length >= expected.size ? stored : undefined;
      },
      60_000,
    );
    const lastAlertSeconds = (Date.now() - replayedAt) / 1000;
    console.log(`[e2e] ${expected.size} alerts (${known.fraudsFlagged} of ${known.frauds} known frauds) stored ${lastAlertSeconds.toFixed(1)} s after the replay ended`);

    expect(alerts.map((alert) => alert.transaction.transactionId).sort()).toEqual([...expected.keys()].sort());
    for (const alert of alerts) {
      expect(alert.score).toBeCloseTo(expected.get(alert.transaction.transactionId) ?? -1, 5);
      // Up to three reasons, each one that raised the score, in words.
      const reasons = alert.reasons as Array<{ contribution: number; text?: string }>;
      expect(reasons.length).toBeGreaterThan(0);
      expect(reasons.length).toBeLessThanOrEqual(3);
      expect(reasons.every((reason) => reason.contribution > 0 && typeof reason.text === 'string')).toBe(true);
      expect(alert.status).toBe('open');
    }
    // The starter rules (shadow mode) are on every replica, and changed no decision.
    for (const url of system.detectorUrls) {
      expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^fraudstream_detector_rules_loaded\{mode="shadow"\} 3$/m);
    }
    const rules = (await (await fetch(`${system.dashboardUrl}rules`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { rules: Array<{ id: string; mode: string }> };
    expect(rules.rules.map((rule) => `${rule.id} ${rule.mode}`).sort()).toEqual(['amount-ceiling shadow', 'blocked-cards shadow', 'card-testing shadow']);
    // Every payment the detectors scored was counted once for the Rules page.
    const payments = readFileSync(csv, 'utf8').trim().split('\n').length - 1;
    const hits = await eventually(
      'every payment counted on /rule-hits',
      async () => {
        const body = (await (await fetch(`${system.dashboardUrl}rule-hits`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { payments: { lastDay: number } };
        return body.payments.lastDay >= payments ? body : undefined;
      },
      30_000,
    );
    expect(hits.payments.lastDay).toBe(payments);
    const streamed = await eventually('the same alerts over SSE', async () => (stream.events.length >= expected.size ? stream.events : undefined), 10_000);
    expect(new Set(streamed.map((event) => (JSON.parse(event.data) as StoredAlert).alertId))).toEqual(new Set(alerts.map((alert) => alert.alertId)));
  }, 120_000);

  it('sends analyst feedback to fraud.labels and into the detectors’ feature store', async () => {
    const [alert] = await allAlerts(system.dashboardUrl);
    if (!alert) throw new Error('no alert to review');
    const unauthorized = await fetch(`${system.dashboardUrl}alerts/${alert.alertId}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ label: 'legit' }),
    });
    expect(unauthorized.status).toBe(401);
    const response = await fetch(`${system.dashboardUrl}alerts/${alert.alertId}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
      body: JSON.stringify({ label: 'legit', note: 'e2e: customer confirmed the purchase' }),
    });
    expect(response.status).toBe(200);
    const reviewed = (await (await fetch(`${system.dashboardUrl}alerts/${alert.alertId}`)).json()) as StoredAlert;
    expect(reviewed.status).toBe('legit');

    const kafka = createKafkaForBrokers(system.brokers, testLog, 'e2e-labels');
    const consumer = kafka.consumer({ groupId: `e2e-labels-${randomBytes(4).toString('hex')}` });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.labels], fromBeginning: true });
    let analystLabel: Label | undefined;
    void consumer.run({
      eachMessage: async ({ message }) => {
        const decoded = decodeLabel(message.value);
        if (decoded.ok && decoded.value.source === 'analyst' && decoded.value.transactionId === alert.transaction.transactionId) {
          analystLabel = decoded.value;
        }
      },
    });
    try {
      const label = await eventually('the analyst label on fraud.labels', async () => analystLabel, 30_000);
      expect(label).toMatchObject({ fraud: false, cardId: alert.transaction.cardId, terminalId: alert.transaction.terminalId, note: 'e2e: customer confirmed the purchase' });

      // The detectors apply labels to the terminal's label history in Redis: member "<transactionId>|<labeledAt>|<0|1>".
      const redis = new Redis(REDIS_URL);
      try {
        const labeledAt = String(Date.parse(label.labeledAt)).padStart(15, '0');
        const member = `${alert.transaction.transactionId}|${labeledAt}|0`;
        await eventually(
          'the analyst label in the feature store',
          async () => ((await redis.zscore(`${redisPrefix}label:${alert.transaction.terminalId}`, member)) === null ? undefined : true),
          30_000,
        );
      } finally {
        await redis.quit();
      }
    } finally {
      await consumer.disconnect();
    }
  }, 120_000);

  it('lets no card number through: refused ids are dead-lettered masked, and no topic, log, table or Redis key holds one', async () => {
    const pans = ['4111111111111111', '5500000000000004', '378282246310005'];
    const at = `${START.slice(0, 8)}${String(DAYS).padStart(2, '0')}T12:00:00Z`;
    const payment = (fields: Record<string, unknown>) => ({
      schemaVersion: 1, transactionId: `pan-probe-${randomBytes(3).toString('hex')}`, timestamp: at, cardId: 'card-pan-probe',
      terminalId: 'term-pan-probe', amount: 12.5, currency: 'EUR', ...fields,
    });
    const refused = [
      payment({ cardId: '4111 1111 1111 1111' }),
      payment({ transactionId: '5500000000000004' }),
      payment({ terminalId: '3782.822463.10005' }),
    ];
    // Valid: the card number sits in fields the contract does not know, so it is masked there.
    const accepted = payment({ posData: { pan: '4111-1111-1111-1111' }, '5500000000000004': true });
    const kafka = createKafkaForBrokers(system.brokers, testLog, 'e2e-pans');
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: topics.transactions,
        acks: -1,
        messages: [...refused, accepted].map((event, index) => ({ key: index === 0 ? '4111111111111111' : String(event.cardId), value: JSON.stringify(event) })),
      });
    } finally {
      await producer.disconnect();
    }
    // An analyst's note holding a card number.
    const [alert] = await allAlerts(system.dashboardUrl);
    if (!alert) throw new Error('no alert to review');
    const review = await fetch(`${system.dashboardUrl}alerts/${alert.alertId}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
      body: JSON.stringify({ label: 'fraud', note: 'customer says card 4111 1111 1111 1111 was stolen' }),
    });
    expect(review.status).toBe(200);

    const redis = new Redis(REDIS_URL);
    try {
      await eventually('the accepted payment in the feature store', async () => ((await redis.exists(`${redisPrefix}card:card-pan-probe`)) === 1 ? true : undefined), 60_000);
      const letters = await eventually('the refused payments dead-lettered', async () => {
        const records = await topicRecords(system.brokers, topics.transactionsDeadLetter);
        const probes = records.filter((record) => Buffer.from((JSON.parse(record.value) as DeadLetter).originalValue ?? '', 'base64').toString().includes('pan-probe'));
        return probes.length >= refused.length ? probes : undefined;
      }, 60_000);
      expect(letters.map((record) => (JSON.parse(record.value) as DeadLetter).cardNumbersMasked).sort()).toEqual([1, 1, 2]);

      // Everything the system wrote (not `transactions`: it holds what the upstream sent, as sent).
      const texts: Array<[string, string]> = [];
      const admin = kafka.admin();
      await admin.connect();
      const topicNames = (await admin.listTopics()).filter((name) => name !== topics.transactions && !name.startsWith('__'));
      await admin.disconnect();
      for (const topic of topicNames) {
        for (const record of await topicRecords(system.brokers, topic)) {
          const decodedOriginal = topic === topics.transactionsDeadLetter ? [(JSON.parse(record.value) as DeadLetter).originalValue, (JSON.parse(record.value) as DeadLetter).originalKey].map((b64) => Buffer.from(b64 ?? '', 'base64').toString('latin1')).join(' ') : '';
          texts.push([`topic ${topic}`, `${record.key} ${record.value} ${decodedOriginal}`]);
        }
      }
      const logs = join(work, 'state', 'logs');
      for (const file of readdirSync(logs)) texts.push([`log ${file}`, readFileSync(join(logs, file), 'latin1')]);
      const db = new pg.Client({ connectionString: database.url });
      await db.connect();
      try {
        const tables = await db.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`);
        for (const { name } of tables.rows) {
          const rows = await db.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
          texts.push([`table ${name}`, rows.rows.map((row) => row.row).join('\n')]);
        }
      } finally {
        await db.end();
      }
      for (const key of await redis.keys(`${redisPrefix}*`)) {
        const type = await redis.type(key);
        const content = type === 'zset' ? await redis.zrange(key, 0, -1) : type === 'hash' ? Object.entries(await redis.hgetall(key)).flat() : type === 'string' ? [await redis.get(key)] : [];
        texts.push([`redis ${key}`, `${key} ${content.join(' ')}`]);
      }
      expect(texts.find(([where]) => where === 'table alerts')?.[1]).toContain('card 4111 11** **** 1111 was stolen');
      const leaks = texts.filter(([, text]) => pans.some((pan) => text.replace(/[ ._/-]/g, '').includes(pan))).map(([where]) => where);
      expect(leaks).toEqual([]);
    } finally {
      await redis.quit();
    }
  }, 180_000);

  it('stops in order — producers, detectors, alerts, Kafka — and leaves no process behind', async () => {
    const services = system.services();
    const exitedAt = new Map<string, number>();
    for (const service of services) void service.exited.then(() => exitedAt.set(service.name, performance.now()));
    await system.stop();
    await Promise.all(services.map((service) => service.exited));

    const role = (name: string) => ['producer', 'detector', 'alerts', 'kafka'].findIndex((prefix) => name.startsWith(prefix));
    const byExit = [...exitedAt.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => role(name));
    expect(byExit).toEqual([...byExit].sort((a, b) => a - b));
    expect(new Set(services.map((service) => role(service.name)))).toEqual(new Set([0, 1, 2, 3]));
    for (const service of services) {
      // Each service ran in a process group of its own (the broker's JVM in the Kafka one): all gone.
      expect(() => process.kill(-service.pid, 0), service.name).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    }
  }, 120_000);
});
