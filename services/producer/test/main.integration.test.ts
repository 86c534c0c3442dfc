import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { createTestTopics, testKafka, uniqueName } from '../../../test/support/kafka.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const mainScript = join(root, 'services/producer/src/main.ts');

interface Run {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
  kill: (signal: NodeJS.Signals) => void;
  waitFor: (text: string, timeoutMs?: number) => Promise<void>;
}

function runMain(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', mainScript, ...args], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    exited,
    output: () => output,
    kill: (signal) => child.kill(signal),
    waitFor: (text, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!output.includes(text)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no "${text}" within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
  };
}

describe('producer main', () => {
  it('prints usage and exits 2 on a bad flag or value', async () => {
    const unknown = runMain(['--bogus'], {});
    expect((await unknown.exited).code).toBe(2);
    expect(unknown.output()).toContain('Usage: npm run producer');
    const badValue = runMain(['--rate', 'fast'], {});
    expect((await badValue.exited).code).toBe(2);
    expect(badValue.output()).toMatch(/PRODUCER_RATE \(--rate\)/);
    const missingFile = runMain(['--replay', '/nonexistent/replay.csv'], {});
    expect((await missingFile.exited).code).toBe(2);
    expect(missingFile.output()).toContain('no such file');
    const driftWithoutDay = runMain(['--drift-scenario'], {});
    expect((await driftWithoutDay.exited).code).toBe(2);
    expect(driftWithoutDay.output()).toMatch(/Expected a drift day[\s\S]*Usage: npm run producer/);
  });

  it('streams live after its backfill and exits 0 on SIGTERM with a summary', async () => {
    const kafka = testKafka();
    const names = { transactions: uniqueName('transactions'), labels: uniqueName('labels') };
    await createTestTopics(kafka, [
      { topic: names.transactions, partitions: 2 },
      { topic: names.labels, partitions: 2 },
    ]);
    const run = runMain(
      ['--backfill-days', '2', '--customers', '200', '--terminals', '400', '--rate', '20', '--transactions-topic', names.transactions, '--labels-topic', names.labels],
      { KAFKA_BROKERS: inject('kafkaBrokers'), LOG_LEVEL: 'info' },
    );
    await run.waitFor('streaming live');
    run.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code, run.output()).toBe(0);
    const summaryLine = run
      .output()
      .split('\n')
      .find((line) => line.includes('"producer finished"'));
    expect(summaryLine, run.output()).toBeDefined();
    const summary = JSON.parse(summaryLine ?? '{}') as { stoppedBy: string; transactions: number; sendRetries: number; producerRecreations: number };
    expect(summary).toMatchObject({ stoppedBy: 'stopped', sendRetries: 0, producerRecreations: 0 });
    expect(summary.transactions).toBeGreaterThan(300);
  });
});
