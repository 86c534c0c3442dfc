/**
 * A real Redis Cluster for a test: `redis-server` processes on free ports in a directory of their own,
 * joined by `redis-cli --cluster create`, without persistence. `stop()` kills them and removes it all.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Cluster, Redis, type ClusterOptions } from 'ioredis';

const HOST = '127.0.0.1';
/** A node's cluster bus listens here above its port (the cluster's default). */
const BUS_PORT_OFFSET = 10_000;

export interface ClusterNodeInfo {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** A replica's master. */
  masterId: string | undefined;
  /** The node is down for the cluster (`fail` or `fail?`). */
  failing: boolean;
  /** Slot ranges, inclusive. */
  slots: Array<[number, number]>;
}

export interface TestRedisCluster {
  /** Every node, masters first as `redis-cli --cluster create` was given them. */
  nodes: Array<{ host: string; port: number }>;
  /** A client of the cluster, closed by `stop()` if the test has not closed it. */
  client(options?: ClusterOptions): Cluster;
  /** A client of one node, closed by `stop()`. */
  node(port: number): Redis;
  /** The cluster as a running node sees it (CLUSTER NODES). */
  topology(): Promise<ClusterNodeInfo[]>;
  /** The master serving a slot. */
  masterOf(slot: number): Promise<ClusterNodeInfo>;
  /** SIGKILLs a node and waits until it has exited. */
  kill(port: number): Promise<void>;
  /** Waits until every running node says `cluster_state:ok`, agrees on the masters and has its replicas in sync. */
  waitUntilHealthy(): Promise<void>;
  /**
   * Starts moving a slot to another master as `redis-cli --cluster reshard` does: the slot is marked
   * migrating and importing (its keys' clients are sent ASK), `moveKeys()` MIGRATEs the keys it holds,
   * `finish()` gives the slot to the target (clients are sent MOVED).
   */
  migrateSlot(slot: number, toPort: number): Promise<{ moveKeys(): Promise<number>; finish(): Promise<void> }>;
  /** Kills every node and removes the directory. Calling it twice is harmless. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  masters?: number;
  /** Replicas per master (for failover tests). */
  replicas?: 0 | 1;
  /** How long a node may be unreachable before it is failed over (`cluster-node-timeout`). */
  nodeTimeoutMs?: number;
  /** How long to wait for the cluster to form. */
  timeoutMs?: number;
}

/** A port nothing listens on whose bus port (+10000) is free too. */
async function freeNodePort(taken: Set<number>): Promise<number> {
  const listenable = (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, HOST, () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + BUS_PORT_OFFSET) || taken.has(port - BUS_PORT_OFFSET)) continue;
    if ((await listenable(port)) && (await listenable(port + BUS_PORT_OFFSET))) return port;
  }
  throw new Error('no free port pair for a Redis Cluster node');
}

function parseNodes(text: string): ClusterNodeInfo[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', address = '', flags = '', master = '-', , , , , ...slots] = line.trim().split(' ');
      const flagList = flags.split(',');
      return {
        id,
        port: Number(/:(\d+)@/.exec(address)?.[1]),
        role: flagList.includes('master') ? 'master' : 'replica',
        masterId: master === '-' ? undefined : master,
        failing: flagList.includes('fail') || flagList.includes('fail?'),
        slots: slots
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => {
            const [from, to = from] = slot.split('-');
            return [Number(from), Number(to)] as [number, number];
          }),
      };
    });
}

const field = (info: string, name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<TestRedisCluster> {
  const { masters = 3, replicas = 0, nodeTimeoutMs = 2_000, timeoutMs = 60_000 } = options;
  for (const tool of ['redis-server', 'redis-cli']) {
    if (spawnSync(tool, ['--version']).status !== 0) throw new Error(`${tool} is not on PATH`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-redis-cluster-'));
  const processes = new Map<number, ChildProcess>();
  const clients = new Set<Redis | Cluster>();
  let stopped: Promise<void> | undefined;

  const probe = (port: number): Redis => {
    const redis = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    redis.on('error', () => {});
    return redis;
  };

  /** Starts one node and waits until it answers; a port taken meanwhile makes it exit, and another is tried. */
  async function startNode(taken: Set<number>): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const port = await freeNodePort(taken);
      const child = spawn(
        'redis-server',
        [
          '--port', String(port), '--bind', HOST, '--dir', dir, '--cluster-enabled', 'yes',
          '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(nodeTimeoutMs),
          '--save', '', '--appendonly', 'no', '--logfile', `redis-${port}.log`,
        ],
        { stdio: 'ignore' },
      );
      processes.set(port, child);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const deadline = Date.now() + timeoutMs;
      const client = probe(port);
      try {
        for (;;) {
          if (child.exitCode !== null || child.signalCode !== null) break;
          try {
            await client.connect();
            await client.ping();
            taken.add(port).add(port + BUS_PORT_OFFSET);
            return port;
          } catch {
            client.disconnect();
            if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer`);
            await Promise.race([sleep(50), exited]);
          }
        }
      } finally {
        client.disconnect();
      }
      processes.delete(port);
      if (attempt >= 4) throw new Error(`redis-server would not start: ${readLog(port)}`);
    }
  }

  const readLog = (port: number): string => {
    try {
      return readFileSync(join(dir, `redis-${port}.log`), 'utf8').split('\n').slice(-5).join('\n');
    } catch {
      return '(no log)';
    }
  };

  const node = (port: number): Redis => {
    const redis = new Redis({ host: HOST, port, maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => {});
    clients.add(redis);
    return redis;
  };

  /** Runs `command` on a node with a connection of its own, which it then closes. */
  async function onNode<T>(port: number, command: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = probe(port);
    try {
      await redis.connect();
      return await command(redis);
    } finally {
      redis.disconnect();
    }
  }

  const running = (): number[] => [...processes.entries()].filter(([, child]) => child.exitCode === null && child.signalCode === null).map(([port]) => port);

  async function topology(): Promise<ClusterNodeInfo[]> {
    let lastError: unknown;
    for (const port of running()) {
      try {
        return parseNodes(String(await onNode(port, (redis) => redis.cluster('NODES'))));
      } catch (err) {
        lastError = err;
      }
    }
    throw new Error(`no node of the cluster answers: ${String(lastError)}`);
  }

  async function masterOf(slot: number): Promise<ClusterNodeInfo> {
    const master = (await topology()).find((info) => info.role === 'master' && !info.failing && info.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!master) throw new Error(`no master serves slot ${slot}`);
    return master;
  }

  /** Why the cluster is not healthy yet, or undefined when it is. */
  async function unhealthy(): Promise<string | undefined> {
    const ports = running();
    for (const port of ports) {
      const problem = await onNode(port, async (redis) => {
        const info = String(await redis.cluster('INFO'));
        if (field(info, 'cluster_state') !== 'ok') return `cluster_state ${field(info, 'cluster_state')}`;
        const nodes = parseNodes(String(await redis.cluster('NODES')));
        const live = nodes.filter((entry) => !entry.failing);
        if (live.length < ports.length) return `${live.length} of ${ports.length} nodes known`;
        if (live.filter((entry) => entry.role === 'master' && entry.slots.length > 0).length !== masters) return 'masters not agreed';
        const self = nodes.find((entry) => entry.port === port);
        if (self?.role === 'replica') {
          const replication = await redis.info('replication');
          if (field(replication, 'master_link_status') !== 'up' || field(replication, 'master_sync_in_progress') !== '0') return 'replica not in sync';
        }
        return undefined;
      }).catch((err: unknown) => `unreachable: ${String(err)}`);
      if (problem !== undefined) return `node ${port}: ${problem}`;
    }
    return undefined;
  }

  async function waitUntilHealthy(): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const problem = await unhealthy();
      if (problem === undefined) return;
      if (Date.now() > deadline) throw new Error(`the Redis Cluster did not become healthy: ${problem}`);
      await sleep(100);
    }
  }

  async function kill(port: number): Promise<void> {
    const child = processes.get(port);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async function migrateSlot(slot: number, toPort: number): Promise<{ moveKeys(): Promise<number>; finish(): Promise<void> }> {
    const nodes = await topology();
    const source = await masterOf(slot);
    const target = nodes.find((entry) => entry.port === toPort && entry.role === 'master');
    if (!target || target.id === source.id) throw new Error(`port ${toPort} is not another master than slot ${slot}'s`);
    await onNode(target.port, (redis) => redis.cluster('SETSLOT', slot, 'IMPORTING', source.id));
    await onNode(source.port, (redis) => redis.cluster('SETSLOT', slot, 'MIGRATING', target.id));
    return {
      moveKeys: () =>
        onNode(source.port, async (redis) => {
          let moved = 0;
          for (;;) {
            const keys = (await redis.cluster('GETKEYSINSLOT', slot, 100)) as string[];
            if (keys.length === 0) return moved;
            await redis.migrate(HOST, target.port, '', 0, 10_000, 'KEYS', ...keys);
            moved += keys.length;
          }
        }),
      async finish() {
        for (const entry of nodes.filter((candidate) => candidate.role === 'master')) {
          await onNode(entry.port, (redis) => redis.cluster('SETSLOT', slot, 'NODE', target.id));
        }
      },
    };
  }

  async function stop(): Promise<void> {
    stopped ??= (async () => {
      for (const client of clients) client.disconnect();
      clients.clear();
      await Promise.all([...processes.keys()].map((port) => kill(port)));
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  }

  process.once('exit', () => {
    for (const child of processes.values()) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  try {
    const taken = new Set<number>();
    const ports: number[] = [];
    for (let index = 0; index < masters * (1 + replicas); index++) ports.push(await startNode(taken));
    await promisify(execFile)(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
      { timeout: timeoutMs },
    ).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`redis-cli --cluster create failed: ${err.stdout ?? ''}${err.stderr ?? ''}`, { cause: err });
    });
    await waitUntilHealthy();
    return {
      nodes: ports.map((port) => ({ host: HOST, port })),
      client(clientOptions = {}) {
        const cluster = new Cluster(
          ports.map((port) => ({ host: HOST, port })),
          { scaleReads: 'master', ...clientOptions, redisOptions: { maxRetriesPerRequest: 3, ...clientOptions.redisOptions } },
        );
        cluster.on('error', () => {});
        clients.add(cluster);
        cluster.once('end', () => clients.delete(cluster));
        return cluster;
      },
      node,
      topology,
      masterOf,
      kill,
      waitUntilHealthy,
      migrateSlot,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
