/**
 * What the system-level tests (end to end, faults) share: a simulated CSV with what the offline scorer
 * flags in it, the alerts the running system stored, and polling with a deadline.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createKafkaForBrokers, topics, transactionIdFor, type Logger } from '@fraudstream/shared';
import { DEFAULT_MODEL_DIR, readMetadata } from '@fraudstream/model';
import { eventually } from './eventually.js';
import { testLog } from './kafka.js';
import { runScript } from './process.js';

export { eventually };

export const REDIS_URL = 'redis://127.0.0.1:6379';
export const POSTGRES_SERVER = 'postgres://postgres@127.0.0.1:5432';

export interface StoredAlert {
  alertId: string;
  transaction: { transactionId: string; cardId: string; terminalId: string };
  score: number;
  threshold: number;
  reasons: unknown[];
  status: string;
}

/** Runs one of the project's CLIs like `npm run <name>` does and fails with its output if it fails. */
export async function runCli(script: string, args: string[]): Promise<string> {
  const run = await runScript(script, args, { ...process.env, LOG_LEVEL: 'warn' });
  const output = run.stdout + run.stderr;
  if (run.code !== 0) throw new Error(`${script} exited ${run.code}:\n${output}`);
  return output;
}

/** Every alert the alerts service serves, page by page. */
export async function allAlerts(baseUrl: string): Promise<StoredAlert[]> {
  const alerts: StoredAlert[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `${baseUrl}alerts?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
    const page = (await response.json()) as { items: StoredAlert[]; nextCursor: string | null };
    alerts.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return alerts;
}

export interface Replay {
  csv: string;
  /** Transaction id (as the producer publishes it) → the offline score, for every row the model flags. */
  expected: Map<string, number>;
  frauds: number;
  fraudsFlagged: number;
  rows: number;
  /** Transaction id → the offline score of every row (flagged or not). */
  scores: Map<string, number>;
  threshold: number;
}

/**
 * A simulated CSV with all three fraud scenarios, and what `npm run score` flags in it with the model
 * the detectors load: the alerts the system must raise, no more and no fewer.
 */
export async function simulatedReplay(dir: string, { customers, days, start, seed }: { customers: number; days: number; start: string; seed: number }): Promise<Replay> {
  const csv = join(dir, 'replay.csv');
  await runCli('services/producer/src/cli/simulate.ts', [
    '--customers', String(customers), '--terminals', String(customers * 2), '--days', String(days), '--start', start, '--seed', String(seed), '--output', csv,
  ]);
  const scores = join(dir, 'scores.csv');
  await runCli('model/src/cli/score.ts', ['--model', DEFAULT_MODEL_DIR, '--input', csv, '--from', start, '--output', scores]);
  const threshold = (await readMetadata(DEFAULT_MODEL_DIR)).threshold.value;
  const rows = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((line) => line.split(','));
  const fraudIds = new Set(rows.filter((fields) => fields[5] === '1').map((fields) => fields[0]));
  const expected = new Map<string, number>();
  const all = new Map<string, number>();
  for (const line of readFileSync(scores, 'utf8').trim().split('\n').slice(1)) {
    const [id, score] = line.split(',');
    if (!id) continue;
    all.set(transactionIdFor(id), Number(score));
    if (Number(score) >= threshold) expected.set(transactionIdFor(id), Number(score));
  }
  const fraudsFlagged = [...expected.keys()].filter((id) => fraudIds.has(String(Number(id)))).length;
  return { csv, expected, frauds: fraudIds.size, fraudsFlagged, rows: rows.length, scores: all, threshold };
}

/** Alerts stored for transactions the offline scorer did not flag, flagged ones with no alert, and any stored twice. */
export function compareAlerts(alerts: StoredAlert[], expected: Map<string, number>): { lost: string[]; unexpected: string[]; duplicated: string[]; scoreMismatches: string[] } {
  const seen = new Map<string, number>();
  for (const alert of alerts) seen.set(alert.transaction.transactionId, (seen.get(alert.transaction.transactionId) ?? 0) + 1);
  return {
    lost: [...expected.keys()].filter((id) => !seen.has(id)),
    unexpected: [...seen.keys()].filter((id) => !expected.has(id)),
    duplicated: [...seen.entries()].filter(([, count]) => count > 1).map(([id]) => id),
    scoreMismatches: alerts
      .filter((alert) => expected.has(alert.transaction.transactionId) && Math.abs(alert.score - (expected.get(alert.transaction.transactionId) ?? 0)) > 1e-5)
      .map((alert) => `${alert.transaction.transactionId} ${alert.transaction.cardId}: ${alert.score} (offline ${expected.get(alert.transaction.transactionId)}), reasons ${JSON.stringify(alert.reasons)}`),
  };
}

/** A PostgreSQL database of the test's own, dropped by the returned function. */
export async function createTestDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: `${POSTGRES_SERVER}/test` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    url: `${POSTGRES_SERVER}/${name}`,
    async drop() {
      const client = new pg.Client({ connectionString: `${POSTGRES_SERVER}/test` });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Deletes every Redis key under `prefix`. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}

/** The status of `url` now (0 when nothing answers). */
export async function statusOf(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

/**
 * Records every status each URL answers while it runs (polled every 250 ms), so a test can say that a
 * service reported itself not ready during a fault and ready after it.
 */
export function watchStatuses(urls: string[]): { seen(url: string): Set<number>; stop(): void } {
  const seen = new Map<string, Set<number>>(urls.map((url) => [url, new Set<number>()]));
  let stopped = false;
  void (async () => {
    while (!stopped) {
      await Promise.all(urls.map(async (url) => seen.get(url)?.add(await statusOf(url))));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    seen: (url) => seen.get(url) ?? new Set(),
    stop: () => {
      stopped = true;
    },
  };
}

/** Records ever written to the dead-letter topic (0 when no detector dead-lettered anything: no transaction touched it). */
export async function deadLetterRecords(brokers: string[], log: Logger): Promise<number> {
  const admin = createKafkaForBrokers(brokers, log, 'test-dlq-count').admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topics.transactionsDeadLetter)).reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until the alerts service serves at least `count` alerts. On a timeout the error says how many
 * it had and what each URL's /readyz answered, so a stall in CI can be told from a slow recovery.
 */
export async function waitForAlerts(dashboardUrl: string, count: number, timeoutMs: number, readyUrls: string[]): Promise<StoredAlert[]> {
  let last = 0;
  try {
    return await eventually(
      `${count} alerts`,
      async () => {
        const stored = await allAlerts(dashboardUrl).catch(() => undefined);
        if (stored) last = stored.length;
        return stored && stored.length >= count ? stored : undefined;
      },
      timeoutMs,
      1_000,
    );
  } catch (err) {
    const readiness = await Promise.all(
      readyUrls.map(async (url) => {
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
          return `${url} ${response.status} ${await response.text()}`;
        } catch (probe) {
          return `${url} ${(probe as Error).message}`;
        }
      }),
    );
    throw new Error(`${(err as Error).message}: ${last} stored; readiness:\n${readiness.join('\n')}`);
  }
}

/** The stored alerts once their count has not changed for `quietMs` (at most `timeoutMs`). */
export async function settledAlerts(dashboardUrl: string, quietMs = 5_000, timeoutMs = 60_000): Promise<StoredAlert[]> {
  const deadline = Date.now() + timeoutMs;
  let alerts = await allAlerts(dashboardUrl);
  let since = Date.now();
  while (Date.now() - since < quietMs && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await allAlerts(dashboardUrl);
    if (now.length !== alerts.length) since = Date.now();
    alerts = now;
  }
  return alerts;
}

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string;
  value: string;
}

/** Every record of a topic, read committed, up to its end as it is now. */
export async function topicRecords(brokers: string[], topic: string, log: Logger = testLog): Promise<TopicRecord[]> {
  const kafka = createKafkaForBrokers(brokers, log, 'test-topic-read');
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((partition) => [partition.partition, Number(partition.high)]));
  await admin.disconnect();
  const records: TopicRecord[] = [];
  const remaining = new Set([...ends].filter(([, end]) => end > 0).map(([partition]) => partition));
  if (remaining.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `test-topic-read-${randomBytes(4).toString('hex')}`, readUncommitted: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // A transactional topic ends in commit markers, which no message handler sees: a partition is
      // read once a batch, markers included, reaches its end.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (Number(payload.lastOffset) + 1 >= (ends.get(payload.partition) ?? 0)) remaining.delete(payload.partition);
        if (remaining.size === 0) resolve();
      });
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            records.push({ partition, offset: message.offset, key: message.key?.toString('latin1') ?? '', value: message.value?.toString('utf8') ?? '' });
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Where each transaction id sits in a topic: id → "partition/offset" of every copy. */
export async function topicTransactionIds(brokers: string[], topic: string, log?: Logger): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const record of await topicRecords(brokers, topic, log)) {
    const id = (JSON.parse(record.value || '{}') as { transactionId?: string }).transactionId ?? '?';
    found.set(id, [...(found.get(id) ?? []), `${record.partition}/${record.offset}`]);
  }
  return found;
}
