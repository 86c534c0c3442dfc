import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { DAY_MS } from '../../src/durations.js';
import {
  FEATURE_NAMES,
  createFeatureEngine,
  createMemoryFeatureStore,
  createRedisFeatureStore,
  type FeatureEngine,
} from '../../src/features/index.js';
import { transactionIdFor, type Label, type Transaction } from '../../src/index.js';

const REDIS_URL = 'redis://127.0.0.1:6379';

/** A small seeded generator, so a failure can be replayed. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

type Event = { kind: 'tx'; at: number; value: Transaction } | { kind: 'label'; at: number; value: Label };

/**
 * A Handbook-like stream in event-time order: cards paying at nearby terminals, some compromised
 * terminals, fraud labels 7 days after their transaction, a few analyst un-marks, timestamp ties.
 */
function simulatedStream(days: number, seed: number): Event[] {
  const random = lcg(seed);
  const start = Date.parse('2018-04-01T00:00:00Z');
  const transactions: Transaction[] = [];
  let id = 0;
  for (let day = 0; day < days; day++) {
    for (let card = 0; card < 40; card++) {
      const perDay = Math.floor(random() * 4);
      for (let k = 0; k < perDay; k++) {
        const at = start + day * DAY_MS + Math.floor(random() * 24) * 3_600_000; // whole hours: many ties
        const amount = Math.round((5 + random() * 200) * 100) / 100;
        transactions.push({
          schemaVersion: 1,
          transactionId: transactionIdFor(id++),
          timestamp: new Date(at).toISOString(),
          cardId: `card-${card}`,
          terminalId: `term-${(card + Math.floor(random() * 6)) % 25}`,
          amount,
          currency: 'EUR',
        });
      }
    }
  }
  transactions.sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.transactionId.localeCompare(b.transactionId));
  const events: Event[] = transactions.map((value) => ({ kind: 'tx', at: Date.parse(value.timestamp), value }));
  for (const value of transactions) {
    const at = Date.parse(value.timestamp);
    const compromised = value.terminalId === 'term-3' || value.terminalId === 'term-7' || value.amount > 180;
    if (!compromised) continue;
    const labeledAt = at + 7 * DAY_MS;
    const base = { schemaVersion: 1 as const, transactionId: value.transactionId, cardId: value.cardId, terminalId: value.terminalId, transactionTimestamp: value.timestamp };
    events.push({ kind: 'label', at: labeledAt, value: { ...base, fraud: true, source: 'chargeback', labeledAt: new Date(labeledAt).toISOString() } });
    if (random() < 0.1) {
      const unmarkAt = labeledAt + DAY_MS;
      events.push({ kind: 'label', at: unmarkAt, value: { ...base, fraud: false, source: 'analyst', labeledAt: new Date(unmarkAt).toISOString() } });
    }
  }
  // Labels at the same instant as a transaction come first, as in the offline replay.
  return events.sort((a, b) => a.at - b.at || (a.kind === b.kind ? 0 : a.kind === 'label' ? -1 : 1));
}

/** Feeds the stream in batches of varying size, redelivering some batches, and returns every transaction's first vector. */
async function run(engine: FeatureEngine, events: Event[], seed: number): Promise<{ vectors: Float32Array; redelivered: number }> {
  const random = lcg(seed);
  const width = FEATURE_NAMES.length;
  const count = events.filter((event) => event.kind === 'tx').length;
  const vectors = new Float32Array(count * width);
  let written = 0;
  let redelivered = 0;
  let index = 0;
  while (index < events.length) {
    const size = 1 + Math.floor(random() * 300);
    const batch = events.slice(index, index + size);
    index += size;
    let pending: Transaction[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const result = await engine.transform(pending);
      vectors.set(result, written * width);
      written += pending.length;
      if (random() < 0.2) {
        expect(await engine.transform(pending)).toEqual(result);
        redelivered += pending.length;
      }
      pending = [];
    };
    for (const event of batch) {
      if (event.kind === 'tx') {
        pending.push(event.value);
      } else {
        await flush();
        await engine.applyLabels([event.value, event.value]);
      }
    }
    await flush();
  }
  return { vectors, redelivered };
}

/**
 * Feeds the stream to several engines sharing one Redis, as detector replicas get it: each card belongs
 * to one of `partitions` partitions, each partition to one replica; every `rebalanceEvery` batches the
 * partitions move (and every replica forgets its cards). Labels go to `labelsTo` replicas only.
 */
async function runReplicas(
  engines: FeatureEngine[],
  events: Event[],
  options: { seed: number; partitions: number; rebalanceEvery: number; labelsTo: 'all' | 'first'; concurrent?: boolean },
): Promise<Float32Array> {
  const random = lcg(options.seed);
  const width = FEATURE_NAMES.length;
  const ids = events.flatMap((event) => (event.kind === 'tx' ? [event.value.transactionId] : []));
  const rowOf = new Map(ids.map((id, row) => [id, row]));
  const vectors = new Float32Array(ids.length * width);
  const partitionOf = (cardId: string): number => Number(cardId.slice(5)) % options.partitions;
  let owners = Array.from({ length: options.partitions }, (_, partition) => partition % engines.length);
  let batches = 0;
  let pending: Transaction[] = [];
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const score = async (engine: FeatureEngine, batch: Transaction[]): Promise<void> => {
      if (batch.length === 0) return;
      const result = await engine.transform(batch);
      batch.forEach((tx, index) => vectors.set(result.subarray(index * width, (index + 1) * width), rowOf.get(tx.transactionId)! * width));
    };
    for (let replica = 0; replica < engines.length; replica++) {
      const mine = pending.filter((tx) => owners[partitionOf(tx.cardId)] === replica);
      if (options.concurrent) {
        // As a detector does: its partitions' batches at once.
        const byPartition = Array.from({ length: options.partitions }, (_, partition) => mine.filter((tx) => partitionOf(tx.cardId) === partition));
        await Promise.all(byPartition.map((batch) => score(engines[replica]!, batch)));
      } else {
        await score(engines[replica]!, mine);
      }
    }
    pending = [];
    if (++batches % options.rebalanceEvery === 0) {
      owners = owners.map(() => Math.floor(random() * engines.length));
      for (const engine of engines) engine.forgetCards();
    }
  };
  let index = 0;
  while (index < events.length) {
    const size = 1 + Math.floor(random() * 200);
    for (const event of events.slice(index, index + size)) {
      if (event.kind === 'tx') {
        pending.push(event.value);
      } else {
        await flush();
        const receivers = options.labelsTo === 'all' ? engines : engines.slice(0, 1);
        for (const engine of receivers) await engine.applyLabels([event.value]);
      }
    }
    index += size;
    await flush();
  }
  return vectors;
}

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
    const risk7 = FEATURE_NAMES.indexOf('TERMINAL_ID_RISK_7DAY_WINDOW');
    const riskValues = new Set(Array.from({ length: fromMemory.vectors.length / FEATURE_NAMES.length }, (_, row) => fromMemory.vectors[row * FEATURE_NAMES.length + risk7]));
    expect(riskValues.size).toBeGreaterThan(5);
    expect(Buffer.from(fromRedis.vectors.buffer).equals(Buffer.from(fromMemory.vectors.buffer))).toBe(true);
  });

  /** The memory store's vectors for a simulated stream, and those of `replicas` engines sharing one Redis. */
  async function memoryAndReplicas(replicaCount: number, days: number, options: Parameters<typeof runReplicas>[2]): Promise<[Float32Array, Float32Array]> {
    const events = simulatedStream(days, options.seed + 100);
    const prefix = testPrefix();
    const replicas = Array.from({ length: replicaCount }, () => createFeatureEngine(createRedisFeatureStore({ url: REDIS_URL, keyPrefix: prefix })));
    onTestFinished(async () => {
      await Promise.all(replicas.map((engine) => engine.close()));
    });
    const fromMemory = await run(createFeatureEngine(createMemoryFeatureStore()), events, options.seed);
    return [fromMemory.vectors, await runReplicas(replicas, events, options)];
  }
  const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

  it('gives the memory store\'s vectors when replicas share it, partitions move between them, and each label reaches one replica', async () => {
    const [memory, shared] = await memoryAndReplicas(3, 60, { seed: 5, partitions: 6, rebalanceEvery: 7, labelsTo: 'first' });
    expect(same(shared, memory)).toBe(true);
  });

  it('gives the memory store\'s vectors to replicas that each apply every label, as detectors do', async () => {
    const [memory, shared] = await memoryAndReplicas(2, 45, { seed: 8, partitions: 4, rebalanceEvery: 11, labelsTo: 'all' });
    expect(same(shared, memory)).toBe(true);
  });

  it('gives the same vectors when batches of several partitions arrive at once (recorded together)', async () => {
    const [memory, shared] = await memoryAndReplicas(2, 45, { seed: 4, partitions: 6, rebalanceEvery: 9, labelsTo: 'all', concurrent: true });
    expect(same(shared, memory)).toBe(true);
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
