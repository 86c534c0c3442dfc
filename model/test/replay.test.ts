import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readHandbookCsv, type HandbookRow } from '@fraudstream/shared/csv';
import { lookbackMs } from '@fraudstream/shared/features/engine';
import { DAY_MS } from '@fraudstream/shared/durations';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { collectDataset, replayFeatures, sliceDataset, type ReplayBatch } from '../src/replay.js';
import { writeHandbookCsv } from './support/handbook-csv.js';

const width = FEATURE_NAMES.length;

/** Transaction id → its timestamp and vector, for every row the replay yielded. */
async function vectorsOf(batches: AsyncIterable<ReplayBatch>): Promise<Map<string, { timestampMs: number; vector: number[] }>> {
  const vectors = new Map<string, { timestampMs: number; vector: number[] }>();
  for await (const { rows, features } of batches) {
    rows.forEach((row, index) =>
      vectors.set(row.transactionId, { timestampMs: row.timestampMs, vector: Array.from(features.subarray(index * width, (index + 1) * width)) }),
    );
  }
  return vectors;
}

/** The CSV's rows, counting how many the consumer asked for. */
async function* counted(path: string, seen: { rows: number }): AsyncGenerator<readonly HandbookRow[]> {
  for await (const batch of readHandbookCsv(path, { chunkBytes: 4096 })) {
    seen.rows += batch.length;
    yield batch;
  }
}

describe('replayFeatures from a time on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-replay-'));
  const csv = join(dir, 'data.csv');
  // 90 days from 2018-07-01 and vectors from 2018-08-20 on: with the 7-day delay the look-back is 37
  // days, so the rows before 2018-07-14 are not replayed and those up to 2018-08-20 are history only.
  const featuresFromMs = Date.parse('2018-08-20T00:00:00Z');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('yields the rows from featuresFromMs on, with the vectors of a replay of every row', async () => {
    await writeHandbookCsv(csv, { days: 90, cards: 400, terminals: 150, seed: 11 });
    expect(lookbackMs(7)).toBe(37 * DAY_MS);

    const every = await vectorsOf(replayFeatures(readHandbookCsv(csv)));
    const fromOn = await vectorsOf(replayFeatures(readHandbookCsv(csv, { chunkBytes: 4096 }), { featuresFromMs }));

    const due = [...every].filter(([, { timestampMs }]) => timestampMs >= featuresFromMs);
    expect(fromOn.size).toBe(due.length);
    expect(due.length).toBeGreaterThan(10_000);
    const terminalRisk = FEATURE_NAMES.indexOf('TERMINAL_ID_RISK_30DAY_WINDOW');
    let withTerminalRisk = 0;
    for (const [id, { vector }] of due) {
      expect(fromOn.get(id)?.vector, id).toEqual(vector);
      if (vector[terminalRisk]! > 0) withTerminalRisk++;
    }
    // The terminal windows reach furthest back (delay + 30 days): they must have had fraud to see.
    expect(withTerminalRisk).toBeGreaterThan(100);
  }, 60_000);

  it('collectDataset keeps the protocol its fraud cards of days the replay skipped', async () => {
    const seen = { rows: 0 };
    const untilMs = Date.parse('2018-08-27T00:00:00Z');
    const dataset = await collectDataset(counted(csv, seen), { fromMs: featuresFromMs, untilMs });
    const rows: HandbookRow[] = [];
    for await (const batch of readHandbookCsv(csv)) rows.push(...batch);
    expect(seen.rows).toBe(rows.length);
    expect(dataset.n).toBe(rows.filter((row) => row.timestampMs >= featuresFromMs && row.timestampMs < untilMs).length);
    const firstDay = Math.floor(Date.parse('2018-07-01T00:00:00Z') / DAY_MS);
    const frauds = rows.filter((row) => row.fraud && row.timestampMs < untilMs);
    expect(dataset.fraudCardsByDay.get(firstDay)?.size).toBe(new Set(frauds.filter((row) => Math.floor(row.timestampMs / DAY_MS) === firstDay).map((row) => row.cardId)).size);
    expect([...dataset.fraudCardsByDay.values()].reduce((sum, cards) => sum + cards.size, 0)).toBe(
      new Set(frauds.map((row) => `${Math.floor(row.timestampMs / DAY_MS)} ${row.cardId}`)).size,
    );
  }, 60_000);

  it('sliceDataset gives the rows and vectors a replay of the slice alone gives', async () => {
    const untilMs = Date.parse('2018-08-27T00:00:00Z');
    const sliceFromMs = Date.parse('2018-08-23T00:00:00Z');
    const sliceUntilMs = Date.parse('2018-08-25T00:00:00Z');
    const whole = await collectDataset(readHandbookCsv(csv), { fromMs: featuresFromMs, untilMs });
    const alone = await collectDataset(readHandbookCsv(csv), { fromMs: sliceFromMs, untilMs: sliceUntilMs });
    const slice = sliceDataset(whole, sliceFromMs, sliceUntilMs);
    expect(slice.n).toBe(alone.n);
    expect(slice.n).toBeGreaterThan(100);
    expect(Array.from(slice.features)).toEqual(Array.from(alone.features));
    expect(Array.from(slice.fraud)).toEqual(Array.from(alone.fraud));
    expect(Array.from(slice.timestampMs)).toEqual(Array.from(alone.timestampMs));
    expect(slice.cardIds).toEqual(alone.cardIds);
    expect(slice.csvTransactionIds).toEqual(alone.csvTransactionIds);
    expect(sliceDataset(whole, untilMs, untilMs + DAY_MS).n).toBe(0);
  }, 60_000);
});
