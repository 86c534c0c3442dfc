/**
 * The whole system (its own Kafka broker, a detector on a Redis server of the test's own, the alerts
 * service on PostgreSQL through a link the test can cut) while the producer replays a simulated CSV at a
 * steady rate: Redis is SIGKILLed and restarted on its append-only file, then PostgreSQL is unreachable
 * for the alerts service for 30 s. The stored alerts must be exactly what the offline scorer flags, the
 * services must say they are not ready while their store is away, and be ready again after.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/kafka/local-broker.js';
import type { RunningSystem } from '../../scripts/start/system.js';
import { driftSummary, expectAlertsOfReplay, readyUrls, removeWork, startFaultSystem, throughOutage } from '../support/faults.js';
import { testLog } from '../support/kafka.js';
import { cuttableLink, startOwnRedis, type CuttableLink, type OwnRedis } from '../support/outages.js';
import { createTestDatabase, deadLetterRecords, simulatedReplay, statusOf, type Replay } from '../support/system.js';

const START = '2026-03-01';

describe('faults: Redis SIGKILL and restart, PostgreSQL unreachable for 30 s, under traffic', () => {
  const work = mkdtempSync(join(tmpdir(), 'fraudstream-fault-stores-'));
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let redis: OwnRedis;
  let postgres: CuttableLink;
  let system: RunningSystem;
  let replay: Replay;

  beforeAll(async () => {
    database = await createTestDatabase('fraudstream_fault_stores');
    replay = await simulatedReplay(work, { customers: 300, days: 21, start: START, seed: 13 });
    redis = await startOwnRedis(await freePort(), join(work, 'redis'));
    postgres = await cuttableLink(5432, await freePort());
    system = await startFaultSystem(work, {
      redisUrl: redis.url,
      databaseUrl: database.url.replace('127.0.0.1:5432', `127.0.0.1:${postgres.port}`),
      detectors: 1,
    });
  }, 300_000);

  afterAll(async () => {
    await system?.stop();
    await postgres?.close();
    await redis?.stop();
    await database?.drop();
    removeWork(work);
  }, 120_000);

  it('stores exactly the alerts the offline scorer flags, and every service is ready again', async () => {
    expect(replay.expected.size).toBeGreaterThan(100);
    const [detectorReady, alertsReady] = readyUrls(system) as [string, string];
    const producer = system.startProducer(['--replay', replay.csv, '--rate', '150']);

    await sleep(4_000);
    const redisOutage = await throughOutage({ watch: [detectorReady], down: () => redis.kill(), up: () => redis.start(), forMs: 10_000 });
    expect(redisOutage.seen(detectorReady), 'the detector said it was not ready while Redis was away').toContain(503);

    const postgresOutage = await throughOutage({ watch: [alertsReady], down: () => postgres.cut(), up: () => postgres.restore(), forMs: 30_000 });
    expect(postgresOutage.seen(alertsReady), 'the alerts service said it was not ready while PostgreSQL was away').toContain(503);

    const { code } = await producer.exited;
    expect(code, producer.tail()).toBe(0);
    const alerts = await expectAlertsOfReplay(system, replay, { redisUrl: redis.url, prefix: 'fraudstream:', brokers: system.brokers });
    for (const url of [detectorReady, alertsReady]) expect(await statusOf(url), url).toBe(200);
    console.log(
      `[faults] Redis SIGKILLed for 10 s: detector ready ${redisOutage.readyAfterSeconds.toFixed(1)} s after it was back; PostgreSQL cut for 30 s: alerts ready ${postgresOutage.readyAfterSeconds.toFixed(1)} s after; ${driftSummary(alerts)}`,
    );
    expect(system.services().filter((service) => !service.running()).map((service) => service.name)).toEqual(['producer']);
    // Nothing valid was dead-lettered (an event-time guard too strict after a restart would show here).
    expect(await deadLetterRecords(system.brokers, testLog)).toBe(0);

    // SIGTERM to the detector's whole process group (what systemd and `kill -- -PGID` do): it drains
    // once and exits 0.
    const detector = system.services().find((service) => service.name === 'detector')!;
    process.kill(-detector.pid, 'SIGTERM');
    const exit = await detector.exited;
    expect(exit, detector.tail()).toEqual({ code: 0, signal: null });
    expect(readFileSync(detector.logFile, 'utf8')).not.toMatch(/second signal/);
  }, 600_000);
});
