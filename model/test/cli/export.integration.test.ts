import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { cardIdFor, encode, terminalIdFor, transactionIdFor, type Label, type Transaction } from '@fraudstream/shared';
import { createTestTopics, testKafka, uniqueName } from '../../../test/support/kafka.js';
import { runScript, type ScriptRun } from '../../../test/support/process.js';

const day = 86_400_000;

function runExport(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ScriptRun> {
  return runScript('model/src/cli/export.ts', args, {
    PATH: process.env['PATH'],
    KAFKA_BROKERS: inject('kafkaBrokers'),
    LOG_LEVEL: 'warn',
    ...env,
  });
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-export-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const transaction = (n: number, timestamp: string, customer: number, terminal: number, amount: number): Transaction => ({
  schemaVersion: 1,
  transactionId: transactionIdFor(n),
  timestamp,
  cardId: cardIdFor(customer),
  terminalId: terminalIdFor(terminal),
  amount,
  currency: 'EUR',
});

const labelFor = (tx: Transaction, fraud: boolean, source: Label['source'], labeledAt: string): Label => ({
  schemaVersion: 1,
  transactionId: tx.transactionId,
  cardId: tx.cardId,
  terminalId: tx.terminalId,
  transactionTimestamp: tx.timestamp,
  fraud,
  source,
  labeledAt,
});

describe('npm run export (real broker)', () => {
  it('writes the Handbook CSV of what reached Kafka since --since, TX_FRAUD from the latest label', async () => {
    const kafka = testKafka();
    const transactionsTopic = uniqueName('transactions');
    const labelsTopic = uniqueName('labels');
    await createTestTopics(kafka, [
      { topic: transactionsTopic, partitions: 4 },
      { topic: labelsTopic, partitions: 4 },
    ]);
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const now = Date.now();

    const old = transaction(1, '2026-01-01T08:00:00.000Z', 7, 70, 12.5);
    const legit = transaction(2, '2026-02-01T09:30:00.000Z', 7, 70, 40);
    const chargeback = transaction(3, '2026-02-01T09:00:00.000Z', 8, 80, 250.99);
    const overturned = transaction(4, '2026-02-02T10:00:00.000Z', 9, 90, 15);
    const analystFraud = transaction(5, '2026-02-03T00:00:01.000Z', 9, 91, 3);
    const sendTransactions = (txs: Transaction[], timestamp: number) =>
      producer.send({
        topic: transactionsTopic,
        messages: txs.map((tx) => ({ key: tx.cardId, value: encode(tx), timestamp: String(timestamp) })),
      });
    await sendTransactions([old], now - 40 * day);
    await sendTransactions([legit, chargeback, overturned, analystFraud], now - 10 * day);
    await producer.send({
      topic: transactionsTopic,
      messages: [{ key: 'card-1', value: Buffer.from('{"schemaVersion":1,"broken":true}'), timestamp: String(now - day) }],
    });
    await producer.send({
      topic: labelsTopic,
      messages: [
        labelFor(old, true, 'chargeback', '2026-01-08T08:00:00.000Z'),
        labelFor(chargeback, true, 'chargeback', '2026-02-08T09:00:00.000Z'),
        labelFor(overturned, true, 'chargeback', '2026-02-09T10:00:00.000Z'),
        labelFor(overturned, false, 'analyst', '2026-02-10T10:00:00.000Z'),
        labelFor(analystFraud, true, 'analyst', '2026-02-03T00:05:00.000Z'),
      ].map((label) => ({ key: label.cardId, value: encode(label), timestamp: String(now - 5 * day) })),
    });

    const output = join(tempDir(), 'history.csv');
    const run = await runExport([
      '--since', '30d', '--output', output, '--transactions-topic', transactionsTopic, '--labels-topic', labelsTopic,
    ]);
    expect(run.stderr).not.toMatch(/\r\[/); // no progress bar when stderr is not a terminal
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(output, 'utf8')).toBe(
      [
        'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO',
        '3,2026-02-01 09:00:00,8,80,250.99,1,0',
        '2,2026-02-01 09:30:00,7,70,40.00,0,0',
        '4,2026-02-02 10:00:00,9,90,15.00,0,0',
        '5,2026-02-03 00:00:01,9,91,3.00,1,0',
        '',
      ].join('\n'),
    );
    expect(run.stdout).toContain(`Wrote 4 transactions to ${output}`);
    expect(run.stdout).toContain('fraud: 2 (chargeback 1, analyst 1); marked legit by an analyst: 1');
    expect(run.stdout).toContain('labels read: 5 (1 for transactions outside the export)');
    expect(run.stdout).toContain('invalid messages skipped: 1 transactions, 0 labels');
  });

  it('prints help, and usage with exit 2 on bad flags, before touching Kafka', async () => {
    const help = await runExport(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run export');

    const dir = tempDir();
    const cases: Array<[string[], RegExp]> = [
      [['--since', '30d'], /Expected --output FILE/],
      [['--output', join(dir, 'a.csv'), '--since', 'last month'], /Expected --since .*"last month"/],
      [['--output', join(dir, 'missing', 'a.csv')], /not a writable directory/],
      [['--output', join(dir, 'a.csv'), '--bogus'], /Unknown option '--bogus'/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runExport(args, { KAFKA_BROKERS: '127.0.0.1:1' })));
    cases.forEach(([args, message], index) => {
      expect(runs[index]?.code, args.join(' ')).toBe(2);
      expect(runs[index]?.stderr).toMatch(message);
      expect(runs[index]?.stderr).toContain('Usage: npm run export');
    });
    expect(existsSync(join(dir, 'a.csv'))).toBe(false);
  });

  it('names a missing topic and leaves no file behind', async () => {
    const output = join(tempDir(), 'history.csv');
    const run = await runExport(['--output', output, '--transactions-topic', uniqueName('missing'), '--labels-topic', uniqueName('missing')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no such topic: missing-/);
    expect(existsSync(output)).toBe(false);
  });
});
