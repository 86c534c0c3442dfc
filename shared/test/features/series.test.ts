import { describe, expect, it } from 'vitest';
import { dropLabelsBefore, emptySeries, insertEntry, insertLabel } from '../../src/features/series.js';
import type { LabelEntry, TimeSeries } from '../../src/features/store.js';

/** The live entries of a series, each with its own amount in cents (recovered from the running totals). */
function live(series: TimeSeries): Array<[number, string, number]> {
  const out: Array<[number, string, number]> = [];
  for (let index = series.start; index < series.end; index++) {
    const next = index + 1 < series.end ? series.centsBefore[index + 1]! : series.centsTotal;
    out.push([series.timestampsMs[index]!, series.transactionIds[index]!, next - series.centsBefore[index]!]);
  }
  return out;
}

const KEEP_ALL = Number.NEGATIVE_INFINITY;

describe('emptySeries', () => {
  it('has no entries and no room', () => {
    const series = emptySeries();
    expect(series).toMatchObject({ start: 0, end: 0, transactionIds: [], centsTotal: 0 });
    expect(series.timestampsMs).toHaveLength(0);
    expect(series.centsBefore).toHaveLength(0);
  });

  it('gives a new series each time', () => {
    const first = emptySeries();
    insertEntry(first, 1, 'a', 100, true, KEEP_ALL);
    expect(emptySeries().end).toBe(0);
  });
});

describe('insertEntry', () => {
  it('appends entries in time order with running totals of their amounts', () => {
    const series = emptySeries();
    expect(insertEntry(series, 10, 'a', 150, true, KEEP_ALL)).toBe(true);
    expect(insertEntry(series, 20, 'b', 250, true, KEEP_ALL)).toBe(true);
    expect(insertEntry(series, 30, 'c', 5, true, KEEP_ALL)).toBe(true);
    expect(live(series)).toEqual([
      [10, 'a', 150],
      [20, 'b', 250],
      [30, 'c', 5],
    ]);
    expect(series.centsTotal).toBe(405);
    expect(Array.from(series.centsBefore.subarray(0, 3))).toEqual([0, 150, 400]);
  });

  it('puts a late entry in its place and adds its amount to the totals of the later ones', () => {
    const series = emptySeries();
    insertEntry(series, 10, 'a', 100, true, KEEP_ALL);
    insertEntry(series, 30, 'c', 300, true, KEEP_ALL);
    insertEntry(series, 20, 'b', 200, true, KEEP_ALL);
    insertEntry(series, 5, 'z', 7, true, KEEP_ALL);
    expect(live(series)).toEqual([
      [5, 'z', 7],
      [10, 'a', 100],
      [20, 'b', 200],
      [30, 'c', 300],
    ]);
    expect(series.centsTotal).toBe(607);
  });

  it('orders entries of the same millisecond by transaction id', () => {
    const series = emptySeries();
    insertEntry(series, 10, 'm', 1, true, KEEP_ALL);
    insertEntry(series, 10, 'z', 2, true, KEEP_ALL);
    insertEntry(series, 10, 'a', 3, true, KEEP_ALL);
    expect(live(series).map(([, id]) => id)).toEqual(['a', 'm', 'z']);
  });

  it('inserts an entry once: the same timestamp and id again changes nothing, wherever it is', () => {
    const series = emptySeries();
    insertEntry(series, 10, 'a', 100, true, KEEP_ALL);
    insertEntry(series, 20, 'b', 200, true, KEEP_ALL);
    insertEntry(series, 30, 'c', 300, true, KEEP_ALL);
    expect(insertEntry(series, 30, 'c', 300, true, KEEP_ALL)).toBe(false);
    expect(insertEntry(series, 10, 'a', 999, true, KEEP_ALL)).toBe(false);
    expect(series.centsTotal).toBe(600);
    expect(live(series)).toHaveLength(3);
    // The same id at another time is another entry.
    expect(insertEntry(series, 11, 'a', 1, true, KEEP_ALL)).toBe(true);
    expect(live(series)).toHaveLength(4);
  });

  it('keeps no amounts for a terminal series', () => {
    const series = emptySeries();
    insertEntry(series, 20, 'b', 200, false, KEEP_ALL);
    insertEntry(series, 10, 'a', 100, false, KEEP_ALL);
    expect(series.centsBefore).toHaveLength(0);
    expect(series.centsTotal).toBe(0);
    expect(Array.from(series.timestampsMs.subarray(series.start, series.end))).toEqual([10, 20]);
    expect(series.transactionIds.slice(series.start, series.end)).toEqual(['a', 'b']);
  });

  it('grows past its first capacity, keeping every entry in order', () => {
    const series = emptySeries();
    const shuffled = Array.from({ length: 100 }, (_, index) => (index * 37) % 100);
    for (const ts of shuffled) insertEntry(series, ts, `tx-${ts}`, ts, true, KEEP_ALL);
    expect(live(series)).toEqual(Array.from({ length: 100 }, (_, ts) => [ts, `tx-${ts}`, ts]));
    expect(series.centsTotal).toBe((99 * 100) / 2);
  });

  it('drops the entries older than keepFromMs only when its arrays are full', () => {
    const series = emptySeries();
    insertEntry(series, 0, 'tx-0', 1, true, KEEP_ALL);
    insertEntry(series, 1, 'tx-1', 1, true, 100);
    expect(live(series).map(([ts]) => ts)).toEqual([0, 1]);
    const capacity = series.timestampsMs.length;
    for (let ts = 2; ts < capacity; ts++) insertEntry(series, ts, `tx-${ts}`, ts, true, KEEP_ALL);
    expect(series.end - series.start).toBe(capacity);

    insertEntry(series, capacity, `tx-${capacity}`, capacity, true, capacity - 3);
    expect(live(series)).toEqual([
      [capacity - 3, `tx-${capacity - 3}`, capacity - 3],
      [capacity - 2, `tx-${capacity - 2}`, capacity - 2],
      [capacity - 1, `tx-${capacity - 1}`, capacity - 1],
      [capacity, `tx-${capacity}`, capacity],
    ]);
  });

  it('puts an entry older than those just dropped first', () => {
    const series = emptySeries();
    insertEntry(series, 100, 'tx-100', 1, true, KEEP_ALL);
    const capacity = series.timestampsMs.length;
    for (let ts = 101; ts < 100 + capacity; ts++) insertEntry(series, ts, `tx-${ts}`, 1, true, KEEP_ALL);
    insertEntry(series, 50, 'tx-50', 9, true, 100 + capacity - 2);
    expect(live(series)).toEqual([
      [50, 'tx-50', 9],
      [100 + capacity - 2, `tx-${100 + capacity - 2}`, 1],
      [100 + capacity - 1, `tx-${100 + capacity - 1}`, 1],
    ]);
  });
});

const labelOf = (transactionId: string, transactionTimestampMs: number, labeledAtMs: number, fraud = true): LabelEntry => ({
  transactionId,
  transactionTimestampMs,
  labeledAtMs,
  fraud,
});

describe('insertLabel', () => {
  it('keeps label events ordered by transaction time, transaction id, label time, then verdict', () => {
    const list: LabelEntry[] = [];
    const events = [
      labelOf('b', 10, 50),
      labelOf('a', 20, 30),
      labelOf('a', 10, 60, true),
      labelOf('a', 10, 60, false),
      labelOf('a', 10, 40),
    ];
    for (const event of events) expect(insertLabel(list, event)).toBe(true);
    expect(list).toEqual([labelOf('a', 10, 40), labelOf('a', 10, 60, false), labelOf('a', 10, 60, true), labelOf('b', 10, 50), labelOf('a', 20, 30)]);
  });

  it('inserts an event once', () => {
    const list = [labelOf('a', 10, 40), labelOf('b', 20, 40)];
    expect(insertLabel(list, labelOf('a', 10, 40))).toBe(false);
    expect(insertLabel(list, labelOf('b', 20, 40))).toBe(false);
    expect(list).toHaveLength(2);
  });
});

describe('dropLabelsBefore', () => {
  it('drops the events of transactions older than keepFromMs, whenever they were labelled', () => {
    const list = [labelOf('a', 10, 500), labelOf('b', 19, 20), labelOf('c', 20, 21), labelOf('d', 30, 31)];
    dropLabelsBefore(list, 20);
    expect(list.map((event) => event.transactionId)).toEqual(['c', 'd']);
    dropLabelsBefore(list, 0);
    expect(list).toHaveLength(2);
    dropLabelsBefore(list, 1_000);
    expect(list).toEqual([]);
  });
});
