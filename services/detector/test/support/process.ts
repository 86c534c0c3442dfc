import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject, onTestFinished } from 'vitest';
import type { DetectorTopics } from '../../src/detector.js';
import { TEST_MODEL_DIR } from './harness.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface DetectorProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `services/detector/src/main.ts` as its own process, configured through its environment like in production. */
export function spawnDetector(options: { topics: DetectorTopics; groupId: string; env?: Record<string, string> }): DetectorProcess {
  const { topics } = options;
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'services/detector/src/main.ts')], {
    cwd: repoRoot,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      KAFKA_BROKERS: inject('kafkaBrokers'),
      LOG_LEVEL: 'warn',
      MODEL_DIR: TEST_MODEL_DIR,
      DETECTOR_PORT: '0',
      DETECTOR_HOST: '127.0.0.1',
      DETECTOR_GROUP_ID: options.groupId,
      DETECTOR_SESSION_TIMEOUT_MS: '6000',
      DETECTOR_HEARTBEAT_INTERVAL_MS: '500',
      TRANSACTIONS_TOPIC: topics.transactions,
      LABELS_TOPIC: topics.labels,
      ALERTS_TOPIC: topics.alerts,
      DEAD_LETTER_TOPIC: topics.deadLetters,
      SCORES_TOPIC: topics.scored ?? '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, output: () => output, exited };
}
