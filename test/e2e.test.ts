/**
 * The whole system, started the way `npm start` starts it (its own Kafka broker, the alerts service,
 * two detector replicas sharing Redis, alerts in PostgreSQL), fed a simulated CSV with known frauds
 * through the producer's replay. Alerts must reach REST and SSE for exactly the transactions the
 * offline scorer flags with the same model; analyst feedback must reach fraud.labels and the
 * detectors' feature store.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaForBrokers, decodeLabel, topics, type Label } from '@fraudstream/shared';
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
  type StoredAlert,
} from './support/system.js';

const START = '2026-01-01';
const DAYS = 21;

describe('fraudstream end to end (own Kafka broker, Redis, PostgreSQL)', () => {
  const work = mkdtempSync(join(tmpdir(), 'fraudstream-e2e-'));
  const redisPrefix = `test-e2e-${randomBytes(4).toString('hex')}:`;
  const apiToken = `e2e-${randomBytes(12).toString('hex')}`;
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
      expect(alert.reasons).toHaveLength(3);
      expect(alert.status).toBe('open');
    }
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
