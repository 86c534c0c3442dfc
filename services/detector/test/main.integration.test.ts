import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { createHandbookCsvWriter, csvTransactionIdOf, decodeAlert, recordFromTransaction } from '@fraudstream/shared';
import { decodeScoredTransaction, type ScoredTransaction } from '../src/scored.js';
import { testKafka, uniqueName } from '../../../test/support/kafka.js';
import {
  detectorTopics,
  handbookHistory,
  makeTransactions,
  messageOf,
  occurrences,
  produce,
  readTopic,
  REDIS_URL,
  redisPrefix,
  TEST_MODEL_DIR,
} from './support/harness.js';
import { repoRoot, spawnDetector } from './support/process.js';

/** Runs an npm script of the repository to completion; rejects with its output when it fails. */
function npmRun(script: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
      cwd: repoRoot,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`npm run ${script} exited with ${code}:\n${output}`))));
  });
}

function scoredOf(messages: Array<{ value: Buffer | null }>): ScoredTransaction[] {
  return messages.map((message) => {
    const decoded = decodeScoredTransaction(message.value);
    if (!decoded.ok) throw new Error(decoded.error.message);
    return decoded.value;
  });
}

describe('detector process', () => {
  it('gives the offline scores of a CSV replayed through the producer (to 1e-6)', { timeout: 180_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 3);
    const dir = await mkdtemp(join(tmpdir(), 'detector-parity-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const csv = join(dir, 'history.csv');
    const history = handbookHistory({ days: 10, perDay: 300 });
    const writer = createHandbookCsvWriter(csv);
    for (const { transaction, fraud, scenario } of history) await writer.write(recordFromTransaction(transaction, fraud, scenario));
    await writer.close();

    const offline = join(dir, 'scores.csv');
    await npmRun('score', ['--model', TEST_MODEL_DIR, '--input', csv, '--from', '2018-04-01', '--output', offline]);
    const expected = new Map(
      (await readFile(offline, 'utf8'))
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(',') as [string, string])
        .map(([id, score]) => [id, Number(score)]),
    );
    expect(expected.size).toBe(history.length);

    const detector = spawnDetector({
      topics,
      groupId: uniqueName('detector'),
      env: { REDIS_URL, REDIS_KEY_PREFIX: redisPrefix(), KAFKA_TOPIC_PARTITIONS: '3' },
    });
    await npmRun('producer', ['--replay', csv], {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      TRANSACTIONS_TOPIC: topics.transactions,
      LABELS_TOPIC: topics.labels,
    });
    const scored = scoredOf(await readTopic(kafka, topics.scored as string, (read) => read.length >= history.length, 90_000));
    expect(scored).toHaveLength(history.length);
    const differences = scored
      .map((entry) => ({ id: csvTransactionIdOf(entry.transactionId), live: entry.score, offline: expected.get(csvTransactionIdOf(entry.transactionId)) }))
      .filter(({ live, offline }) => offline === undefined || Math.abs(live - offline) > 1e-6);
    expect(differences.slice(0, 10)).toEqual([]);
    // The labels mattered: some terminal saw a known fraud, and some scores cross the threshold.
    expect(scored.some((entry) => entry.flagged)).toBe(true);
    detector.child.kill('SIGTERM');
    expect(await detector.exited).toBe(0);
  });

  it('refuses to run an in-memory feature store next to another replica', { timeout: 120_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 2, false);
    const groupId = uniqueName('detector');
    const first = spawnDetector({ topics, groupId });
    const second = spawnDetector({ topics, groupId });
    // Whichever sees the other member refuses; the one left alone may go on (it is then a single replica).
    const [code, refused] = await Promise.race([first.exited.then((c) => [c, first] as const), second.exited.then((c) => [c, second] as const)]);
    expect(code).toBe(1);
    expect(refused.output()).toContain('set REDIS_URL on every replica');
  });

  it('after SIGKILL of one of two replicas mid-stream, every transaction and every alert is in the committed output exactly once', { timeout: 180_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 6);
    const groupId = uniqueName('detector');
    const env = { REDIS_URL, REDIS_KEY_PREFIX: redisPrefix(), KAFKA_TOPIC_PARTITIONS: '6' };
    const transactions = makeTransactions(8_000, { days: 3 });
    await produce(kafka, topics.transactions, transactions.slice(0, 3_000).map(messageOf), 500);

    const doomed = spawnDetector({ topics, groupId, env });
    const survivor = spawnDetector({ topics, groupId, env });
    await readTopic(kafka, topics.scored as string, (read) => read.length >= 1_000, 90_000);
    const streaming = produce(kafka, topics.transactions, transactions.slice(3_000).map(messageOf), 250);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    await streaming;

    const scored = scoredOf(await readTopic(kafka, topics.scored as string, (read) => read.length >= 8_000, 90_000));
    const counts = occurrences(scored.map((entry) => entry.transactionId));
    expect(counts.size, `the surviving replica's warnings and errors:\n${survivor.output().slice(-8_000)}`).toBe(8_000);
    expect([...counts.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    const settled = await readTopic(kafka, topics.scored as string, (read) => read.length > 8_000, 3_000);
    expect(settled).toHaveLength(8_000);

    const flagged = scored.filter((entry) => entry.flagged).map((entry) => entry.transactionId);
    expect(flagged.length).toBeGreaterThan(0);
    const alerts = (await readTopic(kafka, topics.alerts, (read) => read.length >= flagged.length, 30_000)).map((message) => {
      const decoded = decodeAlert(message.value);
      if (!decoded.ok) throw new Error(decoded.error.message);
      return decoded.value;
    });
    const alertCounts = occurrences(alerts.map((alert) => alert.alertId));
    expect(alertCounts.size).toBe(alerts.length);
    expect(alerts.map((alert) => alert.transaction.transactionId).sort()).toEqual([...flagged].sort());

    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
  });
});
