/**
 * A simulated payment stream and the ways the feature stores' tests feed it: one engine with
 * redeliveries, or several engines sharing one store as detector replicas do. Seeded, so a failure
 * can be replayed; every store must give the memory store's vectors, byte for byte.
 */
import { expect, onTestFinished } from 'vitest';
import { DAY_MS } from '../../src/durations.js';
import { FEATURE_NAMES, createFeatureEngine, createMemoryFeatureStore, type FeatureEngine, type FeatureStore } from '../../src/features/index.js';
import { transactionIdFor, type Label, type Transaction } from '../../src/index.js';

/** A small seeded generator, so a failure can be replayed. */
export function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export type Event = { kind: 'tx'; at: number; value: Transaction } | { kind: 'label'; at: number; value: Label };

/**
 * A Handbook-like stream in event-time order: cards paying at nearby terminals, some compromised
 * terminals, fraud labels 7 days after their transaction, a few analyst un-marks, timestamp ties.
 */
export function simulatedStream(days: number, seed: number): Event[] {
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

export interface RunOptions {
  /** Called before each batch of events (numbered from 0): the place to move slots or fail a node over. */
  beforeBatch?: (batch: number) => Promise<void>;
  /** Runs each store call: a test may retry a failed one, as the detector consumes a failed batch again. */
  attempt?: <T>(call: () => Promise<T>) => Promise<T>;
}

/** Feeds the stream in batches of varying size, redelivering some batches, and returns every transaction's first vector. */
export async function run(engine: FeatureEngine, events: Event[], seed: number, options: RunOptions = {}): Promise<{ vectors: Float32Array; redelivered: number }> {
  const attempt = options.attempt ?? (<T>(call: () => Promise<T>) => call());
  const random = lcg(seed);
  const width = FEATURE_NAMES.length;
  const count = events.filter((event) => event.kind === 'tx').length;
  const vectors = new Float32Array(count * width);
  let written = 0;
  let redelivered = 0;
  let index = 0;
  for (let batchNumber = 0; index < events.length; batchNumber++) {
    const size = 1 + Math.floor(random() * 300);
    const batch = events.slice(index, index + size);
    index += size;
    await options.beforeBatch?.(batchNumber);
    let pending: Transaction[] = [];
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const transactions = pending;
      const result = await attempt(() => engine.transform(transactions));
      vectors.set(result, written * width);
      written += pending.length;
      if (random() < 0.2) {
        expect(await attempt(() => engine.transform(transactions))).toEqual(result);
        redelivered += pending.length;
      }
      pending = [];
    };
    for (const event of batch) {
      if (event.kind === 'tx') {
        pending.push(event.value);
      } else {
        await flush();
        await attempt(() => engine.applyLabels([event.value, event.value]));
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
export async function runReplicas(
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

export type ReplicaOptions = Parameters<typeof runReplicas>[2];

/**
 * The memory store's vectors for a simulated stream, and those of `replicaCount` engines, each on a
 * store of `makeStore` (closed when the test ends), fed as detector replicas are.
 */
export async function memoryAndReplicas(makeStore: () => FeatureStore, replicaCount: number, days: number, options: ReplicaOptions): Promise<[Float32Array, Float32Array]> {
  const events = simulatedStream(days, options.seed + 100);
  const replicas = Array.from({ length: replicaCount }, () => createFeatureEngine(makeStore()));
  onTestFinished(async () => {
    await Promise.all(replicas.map((engine) => engine.close()));
  });
  const fromMemory = await run(createFeatureEngine(createMemoryFeatureStore()), events, options.seed);
  return [fromMemory.vectors, await runReplicas(replicas, events, options)];
}

export const sameVectors = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

/** How many distinct values a feature takes over the vectors (a stream that exercises it takes many). */
export function distinctValues(vectors: Float32Array, feature: (typeof FEATURE_NAMES)[number]): number {
  const column = FEATURE_NAMES.indexOf(feature);
  return new Set(Array.from({ length: vectors.length / FEATURE_NAMES.length }, (_, row) => vectors[row * FEATURE_NAMES.length + column])).size;
}
