import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DAY_MS } from '../../src/durations.js';
import { FEATURE_NAMES, createFeatureEngine, createMemoryFeatureStore, createRedisFeatureStore } from '../../src/features/index.js';
import type { ScriptedRedis } from '../../src/features/redis/scripts.js';
import { transactionIdFor, type Transaction } from '../../src/index.js';
import { distinctValues, memoryAndReplicas, run, sameVectors, simulatedStream, type ReplicaOptions } from '../support/feature-stream.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

describe('Redis feature store (real Redis at 127.0.0.1:6379)', () => {
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await admin.quit();
  });

  function testPrefix(): string {
    const prefix = `test:features:${randomBytes(5).toString('hex')}:`;
    onTestFinished(async () => {
      const keys = await admin.keys(`${prefix}*`);
      if (keys.length > 0) await admin.del(...keys);
    });
    return prefix;
  }

  it('gives the same vectors as the memory store on the same stream, redeliveries included', async () => {
    const events = simulatedStream(75, 7);
    const memory = createFeatureEngine(createMemoryFeatureStore());
    const redis = createFeatureEngine(createRedisFeatureStore({ url: REDIS_URL, keyPrefix: testPrefix() }));
    onTestFinished(() => redis.close());
    const fromMemory = await run(memory, events, 99);
    const fromRedis = await run(redis, events, 99);
    expect(fromRedis.redelivered).toBeGreaterThan(0);
    expect(fromMemory.vectors.length).toBeGreaterThan(4_000 * FEATURE_NAMES.length);
    // Non-trivial stream: terminal risk and card windows both vary.
    expect(distinctValues(fromMemory.vectors, 'TERMINAL_ID_RISK_7DAY_WINDOW')).toBeGreaterThan(5);
    expect(sameVectors(fromRedis.vectors, fromMemory.vectors)).toBe(true);
  });

  /** The memory store's vectors for a simulated stream, and those of `replicaCount` engines sharing one Redis. */
  function replicasOnRedis(replicaCount: number, days: number, options: ReplicaOptions): Promise<[Float32Array, Float32Array]> {
    const keyPrefix = testPrefix();
    return memoryAndReplicas(() => createRedisFeatureStore({ url: REDIS_URL, keyPrefix }), replicaCount, days, options);
  }

  it('gives the memory store\'s vectors when replicas share it, partitions move between them, and each label reaches one replica', async () => {
    const [memory, shared] = await replicasOnRedis(3, 60, { seed: 5, partitions: 6, rebalanceEvery: 7, labelsTo: 'first' });
    expect(sameVectors(shared, memory)).toBe(true);
  });

  it('gives the memory store\'s vectors to replicas that each apply every label, as detectors do', async () => {
    const [memory, shared] = await replicasOnRedis(2, 45, { seed: 8, partitions: 4, rebalanceEvery: 11, labelsTo: 'all' });
    expect(sameVectors(shared, memory)).toBe(true);
  });

  it('gives the same vectors when batches of several partitions arrive at once (recorded together)', async () => {
    const [memory, shared] = await replicasOnRedis(2, 45, { seed: 4, partitions: 6, rebalanceEvery: 9, labelsTo: 'all', concurrent: true });
    expect(sameVectors(shared, memory)).toBe(true);
  });

  it('trims old entries and sets a TTL on every key', async () => {
    const prefix = testPrefix();
    const engine = createFeatureEngine(createRedisFeatureStore({ url: REDIS_URL, keyPrefix: prefix }));
    onTestFinished(() => engine.close());
    const at = (day: number): string => new Date(Date.parse('2018-04-01T00:00:00Z') + day * DAY_MS).toISOString();
    const make = (id: number, day: number): Transaction => ({
      schemaVersion: 1, transactionId: transactionIdFor(id), timestamp: at(day), cardId: 'card-1', terminalId: 'term-1', amount: 10, currency: 'EUR',
    });
    await engine.transform([make(1, 0), make(2, 20)]);
    await engine.transform([make(3, 40)]);
    // Card keeps 30 days + 7 days of grace: day 0 is gone, day 20 stays. Terminal keeps 37 + 7.
    expect(await admin.zcard(`${prefix}card:card-1`)).toBe(2);
    expect(await admin.zcard(`${prefix}term:term-1`)).toBe(3);
    await engine.transform([make(4, 50)]);
    expect(await admin.zcard(`${prefix}term:term-1`)).toBe(3);
    const ttl = await admin.pttl(`${prefix}card:card-1`);
    expect(ttl).toBeGreaterThan(43 * DAY_MS);
    expect(ttl).toBeLessThanOrEqual(44 * DAY_MS);
  });

  it('records a batch far larger than a function call takes arguments, and batches of several partitions at once', async () => {
    const engine = createFeatureEngine(createRedisFeatureStore({ url: REDIS_URL, keyPrefix: testPrefix() }));
    onTestFinished(() => engine.close());
    const make = (id: number): Transaction => ({
      schemaVersion: 1,
      transactionId: transactionIdFor(id),
      timestamp: new Date(Date.parse('2018-04-01T00:00:00Z') + id * 1_000).toISOString(),
      cardId: `card-${id % 7_000}`,
      terminalId: `term-${id % 9_000}`,
      amount: 10,
      currency: 'EUR',
    });
    const all = Array.from({ length: 60_000 }, (_, id) => make(id));
    const vectors = await engine.transform(all);
    expect(vectors.length).toBe(60_000 * FEATURE_NAMES.length);
    // Twelve partitions' batches at once, redelivered: recorded together, the same vectors.
    const parts = Array.from({ length: 12 }, (_, part) => all.filter((_, index) => index % 12 === part));
    const again = await Promise.all(parts.map((part) => engine.transform(part)));
    parts.forEach((part, k) => {
      part.forEach((tx, row) => {
        const index = Number(tx.transactionId);
        expect(again[k]!.subarray(row * FEATURE_NAMES.length, (row + 1) * FEATURE_NAMES.length)).toEqual(
          vectors.subarray(index * FEATURE_NAMES.length, (index + 1) * FEATURE_NAMES.length),
        );
      });
    });
  });

  it('records a batch, and a batch of labels, in one script call each', async () => {
    const client = new Redis(REDIS_URL) as ScriptedRedis;
    onTestFinished(async () => {
      await client.quit();
    });
    const engine = createFeatureEngine(createRedisFeatureStore({ client, keyPrefix: testPrefix() }));
    const calls: string[] = [];
    for (const name of ['fraudstreamRecordFeatures', 'fraudstreamRecordLabels'] as const) {
      const original = client[name].bind(client);
      client[name] = ((args: (string | number)[]) => {
        calls.push(name);
        return original(args);
      }) as never;
    }
    const events = simulatedStream(3, 11);
    const transactions = events.flatMap((event) => (event.kind === 'tx' ? [event.value] : []));
    await engine.transform(transactions);
    await engine.applyLabels(transactions.slice(0, 50).map((tx) => ({
      schemaVersion: 1, transactionId: tx.transactionId, cardId: tx.cardId, terminalId: tx.terminalId, transactionTimestamp: tx.timestamp,
      fraud: true, source: 'chargeback', labeledAt: tx.timestamp,
    })));
    expect(new Set(transactions.map((tx) => tx.terminalId)).size).toBeGreaterThan(10);
    expect(calls).toEqual(['fraudstreamRecordFeatures', 'fraudstreamRecordLabels']);
  });

  it('uses a client passed in without closing it', async () => {
    const client = new Redis(REDIS_URL);
    onTestFinished(async () => {
      await client.quit();
    });
    const engine = createFeatureEngine(createRedisFeatureStore({ client, keyPrefix: testPrefix() }));
    await engine.transform([{ schemaVersion: 1, transactionId: 'a', timestamp: '2018-04-01T00:00:00Z', cardId: 'card-1', terminalId: 'term-1', amount: 1, currency: 'EUR' }]);
    await engine.close();
    await engine.close();
    expect(await client.ping()).toBe('PONG');
  });
});
