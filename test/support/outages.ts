/** Real outages for fault tests: a Redis server of the test's own, and a TCP path that can be cut. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';

export interface OwnRedis {
  url: string;
  /** SIGKILLs the server and waits until it has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data (its append-only file), and waits until it answers. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Redis server on `port`, persisting every write before it answers (appendfsync always), so a SIGKILL
 * loses nothing it acknowledged: what a production Redis with AOF keeps.
 */
export async function startOwnRedis(port: number, dir: string): Promise<OwnRedis> {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('redis-server is not on PATH');
  mkdirSync(dir, { recursive: true });
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], {
      stdio: 'ignore',
    });
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch (err) {
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer: ${String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };
  await start();
  process.once('exit', () => child?.kill('SIGKILL'));
  return { url, kill: () => kill('SIGKILL'), start, stop: () => kill('SIGTERM') };
}

export interface CuttableLink {
  /** The port to connect to instead of the target's. */
  port: number;
  /** Drops every open connection and refuses new ones, as a network partition or a server that went away. */
  cut(): Promise<void>;
  /** Accepts connections again. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP forwarder on 127.0.0.1 to `targetPort`, which the test can cut and restore. */
export async function cuttableLink(targetPort: number, listenPort: number): Promise<CuttableLink> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const next = createServer((client) => {
        const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
        sockets.add(client);
        sockets.add(upstream);
        const drop = (): void => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      next.once('error', reject);
      next.listen(listenPort, '127.0.0.1', () => {
        server = next;
        resolve();
      });
    });
  const cut = async (): Promise<void> => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  await listen();
  return { port: listenPort, cut, restore: listen, close: cut };
}
