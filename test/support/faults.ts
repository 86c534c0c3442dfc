/**
 * What the fault tests (`test/faults/`) share: the system as they run it, an outage with what the
 * services answered on /readyz through it, and the comparison of the stored alerts with the offline
 * scores.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { DEFAULT_MODEL_DIR } from '@fraudstream/model';
import { freePort } from '../../scripts/kafka/local-broker.js';
import { startSystem, type RunningSystem } from '../../scripts/start/system.js';
import { testLog } from './kafka.js';
import {
  compareAlerts,
  eventually,
  mayCross,
  scoreDrift,
  settledAlerts,
  statusOf,
  waitForAlerts,
  watchStatuses,
  withinDriftOfThreshold,
  type Replay,
  type StoredAlert,
} from './system.js';

/** How far a live score may drift from the offline one under a fault (see the README's *Faults* section). */
export const DRIFT_BOUND = 0.05;

export interface FaultSystemOptions {
  /** A cluster of the test's own; otherwise the system starts its own broker. */
  kafkaBrokers?: string[];
  redisUrl: string;
  redisKeyPrefix?: string;
  databaseUrl: string;
  detectors: number;
}

/**
 * The whole system as `npm start` runs it, on 4 partitions, with a 6 s session timeout: a consumer out
 * of its group shows on /readyz within seconds.
 */
export async function startFaultSystem(work: string, options: FaultSystemOptions): Promise<RunningSystem> {
  return startSystem({
    stateDir: join(work, 'state'),
    ...(options.kafkaBrokers ? { kafkaBrokers: options.kafkaBrokers } : {}),
    env: { ...process.env, KAFKA_BROKERS: undefined, MODEL_DIR: DEFAULT_MODEL_DIR, DETECTOR_SESSION_TIMEOUT_MS: '6000', DETECTOR_HEARTBEAT_INTERVAL_MS: '1000' },
    redisUrl: options.redisUrl,
    ...(options.redisKeyPrefix ? { redisKeyPrefix: options.redisKeyPrefix } : {}),
    databaseUrl: options.databaseUrl,
    detectors: options.detectors,
    alertsPort: await freePort(),
    apiToken: `fault-${randomBytes(8).toString('hex')}`,
    partitions: 4,
    logLevel: 'info',
    log: testLog,
  });
}

/** Every service's /readyz: the detectors', then the alerts service's. */
export const readyUrls = (system: RunningSystem): string[] => [...system.detectorUrls.map((url) => `${url}/readyz`), `${system.dashboardUrl}readyz`];

/** Removes a fault test's work directory, unless KEEP_FAULT_WORK is set (its logs show what happened). */
export function removeWork(work: string): void {
  if (process.env['KEEP_FAULT_WORK'] === undefined) rmSync(work, { recursive: true, force: true });
  else console.log(`[faults] kept ${work}`);
}

/** Waits until each URL answers 200. */
export async function expectReadyAgain(urls: string[], timeoutMs = 90_000): Promise<void> {
  for (const url of urls) await eventually(`${url} ready again`, async () => ((await statusOf(url)) === 200 ? true : undefined), timeoutMs);
}

export interface Outage {
  /** Every status the URL answered from the fault until it was ready again. */
  seen(url: string): number[];
  /** When `up()` returned. */
  backAtMs: number;
  /** From `up()` until every watched URL answered 200. */
  readyAfterSeconds: number;
}

/** `down()`, `forMs` with the URLs watched, `up()`, then until every watched URL is ready again. */
export async function throughOutage({ watch, down, up, forMs }: { watch: string[]; down: () => Promise<void>; up: () => Promise<void>; forMs: number }): Promise<Outage> {
  await down();
  const watching = watchStatuses(watch);
  await sleep(forMs);
  await up();
  const backAt = Date.now();
  await expectReadyAgain(watch);
  watching.stop();
  const readyAfterSeconds = (Date.now() - backAt) / 1000;
  return { seen: (url) => [...watching.seen(url)], backAtMs: backAt, readyAfterSeconds };
}

export interface ReplayAlerts {
  stored: StoredAlert[];
  /** When the alerts the replay must raise (less those a drift may have lost) were all stored. */
  storedAtMs: number;
  drifted: number;
  maxDelta: number;
}

/**
 * The stored alerts, once they have settled, against the offline scores of the replay: none lost, none
 * extra, none duplicated, scores within DRIFT_BOUND; only a payment scored offline within DRIFT_BOUND of
 * the threshold may cross it (printed when one does).
 */
export async function expectAlertsOfReplay(system: RunningSystem, replay: Replay): Promise<ReplayAlerts> {
  await waitForAlerts(system.dashboardUrl, replay.expected.size - mayCross(replay, DRIFT_BOUND), 300_000, readyUrls(system));
  const storedAtMs = Date.now();
  const stored = await settledAlerts(system.dashboardUrl);
  const { lost, unexpected, duplicated, scoreMismatches } = compareAlerts(stored, replay.expected);
  const { drifted, maxDelta } = scoreDrift(stored, replay.expected);
  expect(maxDelta, scoreMismatches.join('\n')).toBeLessThan(DRIFT_BOUND);
  const crossed = withinDriftOfThreshold([...lost, ...unexpected], replay, DRIFT_BOUND);
  expect({ lost: lost.filter((id) => crossed.rest.includes(id)), unexpected: unexpected.filter((id) => crossed.rest.includes(id)), duplicated }).toEqual({
    lost: [],
    unexpected: [],
    duplicated: [],
  });
  if (crossed.borderline.length > 0) console.log(`[faults] crossed the threshold by drift: ${crossed.borderline.join(', ')}`);
  return { stored, storedAtMs, drifted, maxDelta };
}

/** The figures line a fault test prints. */
export const driftSummary = ({ stored, drifted, maxDelta }: ReplayAlerts): string =>
  `${stored.length} alerts, none lost, extra or duplicated beyond the drift, ${drifted} scores off the offline ones by up to ${maxDelta.toFixed(4)}`;
