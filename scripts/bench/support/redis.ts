/**
 * A Redis of the benchmark's own (`redis-server` on a free port, no persistence) unless REDIS_URL names
 * one: what the detector costs Redis is then read from INFO with nothing else using it.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from '../../kafka/local-broker.js';

export interface BenchRedis {
  url: string;
  /** Whether the benchmark started it (and so nothing else uses it). */
  own: boolean;
  stop(): Promise<void>;
}

export async function startBenchRedis(url: string | undefined): Promise<BenchRedis> {
  if (url) return { url, own: false, stop: () => Promise.resolve() };
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  const ownUrl = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(ownUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null }).on('error', () => {});
    const up = await probe.connect().then(() => probe.ping(), () => undefined);
    probe.disconnect();
    if (up === 'PONG') return { url: ownUrl, own: true, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error('redis-server did not start (is it installed? set REDIS_URL to use a running Redis)');
    }
    await sleep(50);
  }
}
