/**
 * The Redis feature store on a real Redis Cluster, three masters with a replica each, that the test
 * starts from this machine's redis-server: the memory store's vectors through one store and through
 * replicas sharing it; one script call per slot; a slot moved mid-stream (ASK, then MOVED); a master
 * SIGKILLed mid-stream (batches fail until its replica has taken over, and are recorded again).
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, ClusterOptions } from 'ioredis';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { FEATURE_NAMES, createFeatureEngine, createMemoryFeatureStore, createRedisFeatureStore, watchRedisHealth, type FeatureStore } from '../../src/features/index.js';
import type { FeatureScripts } from '../../src/features/redis/scripts.js';
import { keySlot } from '../../src/features/redis/slots.js';
import type { Label } from '../../src/index.js';
import { distinctValues, memoryAndReplicas, run, sameVectors, simulatedStream, type ReplicaOptions } from '../support/feature-stream.js';
import { startRedisCluster, type TestRedisCluster } from '../support/redis-cluster.js';

type ScriptedCluster = Cluster & FeatureScripts;

/** A node's count of an error reply it sent (INFO errorstats: `errorstat_ASK:count=3`). */
async function errorCount(cluster: TestRedisCluster, port: number, error: 'ASK' | 'MOVED'): Promise<number> {
  const stats = await cluster.node(port).info('errorstats');
  return Number(new RegExp(`^errorstat_${error}:count=(\\d+)`, 'm').exec(stats)?.[1] ?? 0);
}

describe('Redis feature store on a Redis Cluster (3 masters, 3 replicas, started by the test)', () => {
  let cluster: TestRedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicas: 1 });
    return () => cluster.stop();
  });

  // The cluster is the test file's own and removed with it: keys need a prefix per test, not a cleanup.
  const testPrefix = (): string => `test:features:${randomBytes(5).toString('hex')}:`;

  /** A store on a cluster client of its own, as each detector has; both closed when the test ends. */
  function clusterStore(keyPrefix: string, clientOptions?: ClusterOptions): { store: FeatureStore; client: ScriptedCluster } {
    const client = cluster.client(clientOptions) as ScriptedCluster;
    const store = createRedisFeatureStore({ client, keyPrefix });
    onTestFinished(async () => {
      await store.close();
      await client.quit();
    });
    return { store, client };
  }

  it('gives the same vectors as the memory store on the same stream, redeliveries included', async () => {
    const events = simulatedStream(60, 7);
    const fromMemory = await run(createFeatureEngine(createMemoryFeatureStore()), events, 99);
    const fromCluster = await run(createFeatureEngine(clusterStore(testPrefix()).store), events, 99);
    expect(fromCluster.redelivered).toBeGreaterThan(0);
    expect(fromMemory.vectors.length).toBeGreaterThan(3_000 * FEATURE_NAMES.length);
    expect(distinctValues(fromMemory.vectors, 'TERMINAL_ID_RISK_7DAY_WINDOW')).toBeGreaterThan(5);
    expect(sameVectors(fromCluster.vectors, fromMemory.vectors)).toBe(true);
  });

  function replicasOnCluster(replicaCount: number, days: number, options: ReplicaOptions): Promise<[Float32Array, Float32Array]> {
    const keyPrefix = testPrefix();
    return memoryAndReplicas(() => clusterStore(keyPrefix).store, replicaCount, days, options);
  }

  it("gives the memory store's vectors when replicas share it, partitions move between them, and each label reaches one replica", async () => {
    const [memory, shared] = await replicasOnCluster(3, 45, { seed: 5, partitions: 6, rebalanceEvery: 7, labelsTo: 'first' });
    expect(sameVectors(shared, memory)).toBe(true);
  });

  it('gives the same vectors when batches of several partitions arrive at once (recorded together)', async () => {
    const [memory, shared] = await replicasOnCluster(2, 40, { seed: 4, partitions: 6, rebalanceEvery: 9, labelsTo: 'all', concurrent: true });
    expect(sameVectors(shared, memory)).toBe(true);
  });

  it("splits a batch into one script call per slot, each call's keys on that slot, the slots on every master", async () => {
    const prefix = testPrefix();
    const { store, client } = clusterStore(prefix);
    const engine = createFeatureEngine(store);
    const calls: Array<{ script: string; keys: string[] }> = [];
    for (const script of ['fraudstreamRecordFeatures', 'fraudstreamRecordLabels'] as const) {
      const original = client[script].bind(client);
      client[script] = ((args: (string | number)[]) => {
        calls.push({ script, keys: args.slice(1, 1 + Number(args[0])).map(String) });
        return original(args);
      }) as never;
    }
    const transactions = simulatedStream(3, 11).flatMap((event) => (event.kind === 'tx' ? [event.value] : []));
    await engine.transform(transactions);
    const labels: Label[] = transactions.slice(0, 60).map((tx) => ({
      schemaVersion: 1, transactionId: tx.transactionId, cardId: tx.cardId, terminalId: tx.terminalId, transactionTimestamp: tx.timestamp,
      fraud: true, source: 'chargeback', labeledAt: tx.timestamp,
    }));
    await engine.applyLabels(labels);

    // The server's own slot of every key, so the store's hashing is checked too.
    const serverSlot = async (key: string): Promise<number> => Number(await client.cluster('KEYSLOT', key));
    for (const script of ['fraudstreamRecordFeatures', 'fraudstreamRecordLabels']) {
      const mine = calls.filter((call) => call.script === script);
      const slotsOfCalls: number[] = [];
      for (const { keys } of mine) {
        const slots = new Set(await Promise.all(keys.map(serverSlot)));
        expect(slots.size, `${script}: one slot per call`).toBe(1);
        slotsOfCalls.push([...slots][0]!);
        for (const key of keys) expect(keySlot(key)).toBe([...slots][0]);
      }
      expect(new Set(slotsOfCalls).size, `${script}: each slot once`).toBe(mine.length);
      const masters = new Set(await Promise.all(slotsOfCalls.map(async (slot) => (await cluster.masterOf(slot)).port)));
      expect(masters.size, `${script}: calls on every master`).toBe(3);
    }
    const featureKeys = calls.filter((call) => call.script === 'fraudstreamRecordFeatures').flatMap((call) => call.keys);
    const cards = new Set(transactions.map((tx) => tx.cardId));
    const terminals = new Set(transactions.map((tx) => tx.terminalId));
    // Each card's key and each terminal's three keys (series, labels, their version) once, tagged by the id.
    expect(featureKeys.sort()).toEqual(
      [
        ...[...cards].map((card) => `${prefix}card:{${card}}`),
        ...[...terminals].flatMap((terminal) => [`${prefix}term:{${terminal}}`, `${prefix}label:{${terminal}}`, `${prefix}labels-version:{${terminal}}`]),
      ].sort(),
    );
    for (const key of ['é', '{日本}x', 'a{}b', '{{x}}', 'no tag}{', `${prefix}card:{card 1}`]) expect(keySlot(key), key).toBe(await serverSlot(key));
  });

  it('refuses a key prefix with braces, which would change the keys’ hash tags', () => {
    const client = cluster.client({ lazyConnect: true });
    onTestFinished(() => client.disconnect());
    expect(() => createRedisFeatureStore({ client, keyPrefix: 'app{x:' })).toThrow(/must not hold \{ or \}/);
  });

  it('keeps giving the memory store’s vectors while slots move to another master (ASK, then MOVED)', async () => {
    const prefix = testPrefix();
    // Slots are refreshed only on a MOVED reply, so the client meets both redirections.
    const { store } = clusterStore(prefix, { slotsRefreshInterval: 0 });
    const slots = [keySlot(`${prefix}card:{card-1}`), keySlot(`${prefix}term:{term-3}`)];
    const sources = await Promise.all(slots.map((slot) => cluster.masterOf(slot)));
    const masters = (await cluster.topology()).filter((node) => node.role === 'master');
    const targets = sources.map((source) => masters.find((master) => master.id !== source.id)!);
    const asksBefore = await Promise.all(sources.map((source) => errorCount(cluster, source.port, 'ASK')));
    const movedBefore = await Promise.all(sources.map((source) => errorCount(cluster, source.port, 'MOVED')));
    let migrations: Awaited<ReturnType<TestRedisCluster['migrateSlot']>>[] = [];
    let moved = 0;

    const events = simulatedStream(40, 21);
    const fromMemory = await run(createFeatureEngine(createMemoryFeatureStore()), events, 5);
    const fromCluster = await run(createFeatureEngine(store), events, 5, {
      async beforeBatch(batch) {
        if (batch === 4) {
          // Migrating: the keys go to the target, and their clients are sent there with ASK.
          migrations = await Promise.all(slots.map((slot, at) => cluster.migrateSlot(slot, targets[at]!.port)));
          for (const migration of migrations) moved += await migration.moveKeys();
        } else if (batch === 9) {
          for (const migration of migrations) {
            moved += await migration.moveKeys();
            await migration.finish();
          }
        }
      },
    });
    expect(moved).toBeGreaterThan(0);
    for (const [at, slot] of slots.entries()) expect((await cluster.masterOf(slot)).id).toBe(targets[at]!.id);
    const asks = await Promise.all(sources.map((source) => errorCount(cluster, source.port, 'ASK')));
    const moves = await Promise.all(sources.map((source) => errorCount(cluster, source.port, 'MOVED')));
    expect(asks.reduce((a, b) => a + b) - asksBefore.reduce((a, b) => a + b)).toBeGreaterThan(0);
    expect(moves.reduce((a, b) => a + b) - movedBefore.reduce((a, b) => a + b)).toBeGreaterThan(0);
    expect(sameVectors(fromCluster.vectors, fromMemory.vectors)).toBe(true);
  });

  // Last: it leaves the cluster with one master fewer (and the killed one's replica promoted).
  it('keeps giving the memory store’s vectors through a master SIGKILLed and failed over, failed batches recorded again', async () => {
    const prefix = testPrefix();
    const { store, client } = clusterStore(prefix);
    const health = watchRedisHealth(client);
    const events = simulatedStream(40, 31);
    const fromMemory = await run(createFeatureEngine(createMemoryFeatureStore()), events, 6);
    const victim = await cluster.masterOf(keySlot(`${prefix}card:{card-1}`));
    const heir = (await cluster.topology()).find((node) => node.masterId === victim.id);
    expect(heir, 'the master has a replica').toBeDefined();
    let failures = 0;
    const problems = new Set<string>();
    // Before the kill a failure is a failure; after it, calls are made again for a while.
    let deadline = -Infinity;
    const fromCluster = await run(createFeatureEngine(store), events, 6, {
      async beforeBatch(batch) {
        if (batch !== 5) return;
        // Nothing acknowledged may be lost: the replica has every write before the master dies.
        const master = cluster.node(victim.port);
        const synced = async (): Promise<boolean> => {
          const info = await master.info('replication');
          const offset = /^master_repl_offset:(\d+)/m.exec(info)?.[1];
          return new RegExp(`^slave\\d+:.*port=${heir!.port},state=online,offset=${offset},`, 'm').test(info);
        };
        while (!(await synced())) await sleep(20);
        await cluster.kill(victim.port);
        deadline = Date.now() + 45_000;
      },
      // As the detector does with a batch that failed: consume it again, until Redis is back.
      async attempt(call) {
        for (;;) {
          try {
            return await call();
          } catch (err) {
            failures++;
            for (const problem of health()) problems.add(problem);
            if (Date.now() > deadline) throw err;
            await sleep(100);
          }
        }
      },
    });
    // Batches go on once the replica serves the slots; every node learns it from its broadcast.
    await cluster.waitUntilHealthy();
    expect((await cluster.topology()).find((node) => node.id === heir!.id)?.role).toBe('master');
    expect(sameVectors(fromCluster.vectors, fromMemory.vectors)).toBe(true);
    // What /readyz says: the lost master while its slots failed, nothing once its replica serves them.
    if (failures > 0) expect([...problems]).toContain(`Redis Cluster master 127.0.0.1:${victim.port} unreachable`);
    expect(health()).toEqual([]);
    console.log(`[redis cluster] master ${victim.port} SIGKILLed: ${failures} store calls failed and were made again`);
  });
});
