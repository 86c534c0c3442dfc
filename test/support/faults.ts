/**
 * What the fault tests (`test/faults/`) share: the system as they run it, an outage with what the
 * services answered on /readyz through it, and the comparison of the stored alerts with the offline
 * scores.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { centsOf, DAY_MS, DEFAULT_LABEL_DELAY_DAYS, readHandbookCsv, topics } from '@fraudstream/shared';
import { DEFAULT_MODEL_DIR } from '@fraudstream/model';
import { freePort } from '../../scripts/kafka/local-broker.js';
import { startSystem, type RunningSystem } from '../../scripts/start/system.js';
import { testLog } from './kafka.js';
import {
  compareAlerts,
  eventually,
  settledAlerts,
  statusOf,
  waitForAlerts,
  watchStatuses,
  type Replay,
  topicTransactionIds,
  type StoredAlert,
} from './system.js';

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
  for (const url of urls) {
    try {
      await eventually(`${url} ready again`, async () => ((await statusOf(url)) === 200 ? true : undefined), timeoutMs);
    } catch (err) {
      // Say why it is not ready (its /readyz body lists the reasons), so a failure can be diagnosed.
      const body = await fetch(url, { signal: AbortSignal.timeout(2_000) }).then((response) => response.text(), (fetchErr: unknown) => String(fetchErr));
      throw new Error(`${(err as Error).message}; it last answered: ${body}`, { cause: err });
    }
  }
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
  /** When every alert the replay must raise was stored. */
  storedAtMs: number;
}

export interface ReplayStore {
  redisUrl: string;
  prefix: string;
  brokers: string[];
}

/**
 * The stored alerts, once they have settled, against the offline scores of the replay: every row of the
 * replay on `transactions` (the producer lost nothing), no alert lost, extra or duplicated, every score
 * the offline one. On a mismatch the log says what the feature store holds for the cards and terminals
 * concerned (explainDrift).
 */
export async function expectAlertsOfReplay(system: RunningSystem, replay: Replay, store: ReplayStore): Promise<ReplayAlerts> {
  await waitForAlerts(system.dashboardUrl, replay.expected.size, 300_000, readyUrls(system));
  const storedAtMs = Date.now();
  const stored = await settledAlerts(system.dashboardUrl);
  const onTopic = await topicTransactionIds(store.brokers, topics.transactions, testLog);
  const notOnTopic = [...replay.scores.keys()].filter((id) => !onTopic.has(id));
  const { lost, unexpected, duplicated, scoreMismatches } = compareAlerts(stored, replay.expected);
  if (notOnTopic.length + lost.length + unexpected.length + scoreMismatches.length > 0) {
    for (const line of await explainDrift(stored, replay, store.redisUrl, store.prefix, store.brokers)) console.log(line);
  }
  expect({ notOnTopic, lost, unexpected, duplicated, scoreMismatches }).toEqual({ notOnTopic: [], lost: [], unexpected: [], duplicated: [], scoreMismatches: [] });
  return { stored, storedAtMs };
}

/** The figures line a fault test prints. */
export const driftSummary = ({ stored }: ReplayAlerts): string => `${stored.length} alerts, every one the offline scorer's, none lost, extra or duplicated`;

/**
 * Where a drift comes from, for the log: for the cards and terminals of the drifted alerts, the
 * transactions and labels the feature store in Redis holds that the replay does not, and those it
 * lacks. Nothing listed: the store is right, and the drift came from when an entry was seen.
 */
export async function explainDrift(stored: StoredAlert[], replay: Replay, redisUrl: string, prefix: string, brokers?: string[]): Promise<string[]> {
  const drifted = stored.filter((alert) => {
    const offline = replay.expected.get(alert.transaction.transactionId);
    return offline !== undefined && Math.abs(alert.score - offline) > 1e-5;
  });
  if (drifted.length === 0) return [];
  const cards = new Map<string, Set<string>>();
  const terminals = new Map<string, Set<string>>();
  const labels = new Map<string, Set<string>>();
  for (const alert of drifted) {
    cards.set(alert.transaction.cardId, new Set());
    terminals.set(alert.transaction.terminalId, new Set());
    labels.set(alert.transaction.terminalId, new Set());
  }
  for await (const rows of readHandbookCsv(replay.csv)) {
    for (const row of rows) {
      cards.get(row.cardId)?.add(`${row.transactionId}|${centsOf(row.amount)}@${row.timestampMs}`);
      terminals.get(row.terminalId)?.add(`${row.transactionId}@${row.timestampMs}`);
      if (row.fraud) labels.get(row.terminalId)?.add(`${row.transactionId}|${String(row.timestampMs + DEFAULT_LABEL_DELAY_DAYS * DAY_MS).padStart(15, '0')}|1@${row.timestampMs}`);
    }
  }
  const redis = new Redis(redisUrl);
  const lines = [`[faults] ${drifted.length} drifted alerts on ${cards.size} cards and ${terminals.size} terminals: ${drifted.map((alert) => `${alert.transaction.transactionId} ${alert.transaction.cardId} ${alert.transaction.terminalId}`).join(', ')}`];
  try {
    const compare = async (kind: string, key: string, want: Set<string>): Promise<void> => {
      const reply = await redis.zrange(key, 0, -1, 'WITHSCORES');
      const have = new Set<string>();
      for (let index = 0; index < reply.length; index += 2) have.add(`${reply[index]}@${reply[index + 1]}`);
      const missing = [...want].filter((entry) => !have.has(entry));
      const extra = [...have].filter((entry) => !want.has(entry));
      if (missing.length > 0 || extra.length > 0) lines.push(`[faults]   ${kind} ${key}: ${have.size} held, missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}`);
    };
    for (const [id, want] of cards) await compare('card', `${prefix}card:${id}`, want);
    for (const [id, want] of terminals) await compare('terminal', `${prefix}term:${id}`, want);
    for (const [id, want] of labels) await compare('labels', `${prefix}label:${id}`, want);
  } finally {
    await redis.quit();
  }
  if (lines.length === 1) lines.push('[faults]   the feature store holds exactly the replay\'s entries for them');
  else if (brokers !== undefined) {
    // Is what the store lacks on the topic? (Not: the producer lost it. Yes: the detector skipped it.)
    const onTopic = await topicTransactionIds(brokers, topics.transactions, testLog);
    const missing = [...new Set(lines.join(' ').match(/"(\d{12})[|@]/g)?.map((hit) => hit.slice(1, 13)) ?? [])];
    const copies = [...onTopic.values()].reduce((sum, at) => sum + at.length, 0);
    lines.push(`[faults]   transactions topic: ${onTopic.size} ids in ${copies} records for ${replay.rows} rows; the store's missing ones there: ${missing.map((id) => `${id}→${onTopic.get(id)?.join('+') ?? 'absent'}`).join(' ')}`);
  }
  return lines;
}
