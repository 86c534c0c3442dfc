import { describe, expect, it } from 'vitest';
import { DAY_MS } from '@fraudstream/shared';
import { evaluateScores } from '../src/evaluation.js';
import { dayIndexOf, type Dataset } from '../src/replay.js';

const testFrom = Date.parse('2018-08-08T00:00:00Z');
const day = (offset: number, hour = 12): number => testFrom + offset * DAY_MS + hour * 3_600_000;

function dataset(rows: { at: number; card: string; fraud: 0 | 1 }[], frauds: { at: number; card: string }[]): Dataset {
  const fraudCardsByDay = new Map<number, Set<string>>();
  for (const fraud of [...frauds, ...rows.filter((row) => row.fraud)]) {
    const index = dayIndexOf(fraud.at);
    fraudCardsByDay.set(index, (fraudCardsByDay.get(index) ?? new Set()).add(fraud.card));
  }
  return {
    n: rows.length,
    features: new Float32Array(0),
    fraud: Uint8Array.from(rows, (row) => row.fraud),
    timestampMs: Float64Array.from(rows, (row) => row.at),
    cardIds: rows.map((row) => row.card),
    csvTransactionIds: rows.map((_, index) => String(index)),
    fraudCardsByDay,
    inputFirstMs: Math.min(...rows.map((row) => row.at)),
    inputLastMs: Math.max(...rows.map((row) => row.at)),
  };
}

describe('evaluateScores (the Handbook protocol)', () => {
  it('leaves out, on each test day, the cards whose fraud was known by then', () => {
    const data = dataset(
      [
        { at: day(0), card: 'train-fraud', fraud: 1 }, // fraud in the training week: known from the first test day
        { at: day(0), card: 'late', fraud: 0 }, // its fraud on testFrom − 7 days is known only from day 1
        { at: day(1), card: 'late', fraud: 1 },
        { at: day(0), card: 'clean', fraud: 0 },
        { at: day(1), card: 'clean', fraud: 0 },
        { at: day(1), card: 'other', fraud: 1 },
      ],
      [
        { at: day(-14), card: 'train-fraud' },
        { at: day(-15), card: 'before-training' },
        { at: day(-7, 0), card: 'late' },
      ],
    );
    const scores = Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.3, 0.7]);
    const result = evaluateScores(data, scores, { testFromMs: testFrom });
    // dropped: train-fraud (day 0), late (day 1); kept: late day 0, clean ×2, other
    expect(result.knownCompromisedRows).toBe(2);
    expect(result).toMatchObject({ rows: 4, frauds: 1, aucRoc: 1, averagePrecision: 1 });
    expect(result.cardPrecisionPerDay).toEqual([
      { day: '2018-08-08', precision: 0 },
      { day: '2018-08-09', precision: 0.01 },
    ]);

    const everything = evaluateScores(data, scores, { testFromMs: testFrom, removeKnownCompromised: false });
    expect(everything.rows).toBe(6);
  });
});
