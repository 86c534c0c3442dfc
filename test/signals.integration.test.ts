/**
 * A service started as a user starts it (`npm run producer`: npm, a shell, the service's node process,
 * one process group) and stopped as systemd or `kill -- -PGID` stops it: SIGTERM to the whole group.
 * Every process of the group gets the signal, and npm passes its own on; the service must drain once
 * and finish cleanly. (Whether a second copy lands during the drain depends on timing: the kernel merges
 * a signal still pending and this producer drains in milliseconds, so the repeat window itself is
 * tested in shared/test/shutdown.test.ts.)
 */
import { spawn } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { repoRoot } from './support/process.js';
import { uniqueName } from './support/kafka.js';
import { eventually } from './support/eventually.js';

describe('a service stopped by SIGTERM to its process group', () => {
  it('drains once and finishes cleanly', async () => {
    const topic = uniqueName('signals');
    const child = spawn('npm', ['run', '--silent', 'producer', '--', '--rate', '20', '--customers', '50', '--terminals', '100', '--transactions-topic', topic, '--labels-topic', `${topic}-labels`], {
      cwd: repoRoot,
      env: { ...process.env, KAFKA_BROKERS: inject('kafkaBrokers'), KAFKA_TOPIC_PARTITIONS: '1', LOG_LEVEL: 'info' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Closed once every process that holds the pipes (npm, the shell, the service) has exited.
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    try {
      await eventually('the producer streaming', async () => (output.includes('"msg":"producer started"') ? true : undefined), 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      process.kill(-(child.pid as number), 'SIGTERM');
      await closed;
      expect(output).not.toMatch(/second signal|closer failed|deadline passed/);
      expect(output.match(/"msg":"shutting down"/g) ?? []).toHaveLength(1);
      expect(output).toMatch(/"msg":"producer finished"/);
    } finally {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
  }, 120_000);
});
