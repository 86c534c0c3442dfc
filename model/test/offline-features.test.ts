import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readHandbookCsv } from '@fraudstream/shared/csv';
import { readHandbookColumns } from '@fraudstream/shared/csv/columnar';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { computeOfflineFeatures, inReplayOrder } from '@fraudstream/shared/features/offline';
import { replayFeatures } from '../src/replay.js';
import { writeHandbookCsv } from './support/handbook-csv.js';

const width = FEATURE_NAMES.length;

/** Every row's vector from the streaming engine's replay, in file order. */
async function streamingVectors(path: string, featuresFromMs?: number): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  for await (const { rows, features } of replayFeatures(readHandbookCsv(path, { chunkBytes: 4096 }), featuresFromMs === undefined ? {} : { featuresFromMs })) {
    for (let index = 0; index < rows.length; index++) vectors.push(features.slice(index * width, (index + 1) * width));
  }
  return vectors;
}

/** A seeded generator. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A file dense in what the terminal features look at: few cards and terminals, times on a 10-minute
 * grid (many transactions of one card or terminal in the same second), a third of them fraud.
 */
function writeDenseCsv(path: string, days: number, seed: number): void {
  const random = lcg(seed);
  const start = Date.parse('2018-07-01T00:00:00Z');
  const times: number[] = [];
  for (let index = 0; index < days * 60; index++) times.push(start + Math.floor(random() * days * 144) * 600_000);
  times.sort((a, b) => a - b);
  const lines = times.map((at, id) => {
    const amount = (Math.floor(random() * 30_000) / 100).toFixed(random() < 0.1 ? 1 : 2);
    return `${id},${new Date(at).toISOString().slice(0, 19).replace('T', ' ')},${Math.floor(random() * 12)},${Math.floor(random() * 4)},${amount},${random() < 0.33 ? 1 : 0}`;
  });
  writeFileSync(path, `TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n${lines.join('\n')}\n`);
}

describe('computeOfflineFeatures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-offline-features-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const expectSameVectors = async (path: string, fromMs?: number): Promise<number> => {
    const columns = await readHandbookColumns(path);
    if (columns === undefined) throw new Error(`${path} is not plain`);
    expect(inReplayOrder(columns)).toBe(true);
    const streaming = await streamingVectors(path, fromMs);
    let fromIndex = 0;
    if (fromMs !== undefined) while (fromIndex < columns.n && columns.timestampsMs[fromIndex]! < fromMs) fromIndex++;
    const offline = computeOfflineFeatures(columns, { fromIndex });
    expect(streaming.length).toBe(columns.n - fromIndex);
    let differing = 0;
    streaming.forEach((vector, index) => {
      const mine = offline.subarray(index * width, (index + 1) * width);
      for (let feature = 0; feature < width; feature++) {
        if (!Object.is(vector[feature], mine[feature])) {
          if (differing++ < 5) console.error(`row ${fromIndex + index} ${FEATURE_NAMES[feature]}: streaming ${vector[feature]}, offline ${mine[feature]}`);
        }
      }
    });
    expect(differing).toBe(0);
    return streaming.length;
  };

  it('gives every row the vector a replay through the streaming engine gives it', async () => {
    for (const seed of [3, 17]) {
      const csv = join(dir, `handbook-${seed}.csv`);
      await writeHandbookCsv(csv, { days: 80, cards: 300, terminals: 120, seed });
      expect(await expectSameVectors(csv)).toBeGreaterThan(20_000);
    }
  }, 120_000);

  it('agrees where many transactions of a card or terminal share a second and a third are fraud', async () => {
    for (const seed of [1, 2, 9]) {
      const csv = join(dir, `dense-${seed}.csv`);
      writeDenseCsv(csv, 70, seed);
      expect(await expectSameVectors(csv)).toBe(70 * 60);
    }
  }, 60_000);

  it('from a row on, gives the vectors a replay from that time on gives', async () => {
    const csv = join(dir, 'from.csv');
    await writeHandbookCsv(csv, { days: 70, cards: 200, terminals: 80, seed: 23 });
    expect(await expectSameVectors(csv, Date.parse('2018-08-20T00:00:00Z'))).toBeGreaterThan(1000);
  }, 60_000);

  it('takes only rows in strictly increasing (timestamp, id) order', () => {
    const rows = (times: number[], ids: number[]) => ({ n: times.length, timestampsMs: Float64Array.from(times), transactionIds: Float64Array.from(ids) });
    expect(inReplayOrder(rows([1, 2, 2], [0, 1, 2]))).toBe(true);
    expect(inReplayOrder(rows([1, 2, 2], [0, 2, 1]))).toBe(false);
    expect(inReplayOrder(rows([1, 1], [4, 4]))).toBe(false);
    expect(inReplayOrder(rows([2, 1], [0, 1]))).toBe(false);
  });

  it('refuses a label delay that is not positive', () => {
    const empty = { n: 0, transactionIds: new Float64Array(), timestampsMs: new Float64Array(), cardNumbers: new Int32Array(), terminalNumbers: new Int32Array(), cents: new Float64Array(), fraud: new Uint8Array() };
    expect(() => computeOfflineFeatures(empty, { labelDelayDays: 0 })).toThrow(/labelDelayDays/);
    expect(computeOfflineFeatures(empty)).toHaveLength(0);
  });
});
