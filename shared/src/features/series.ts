import { compareLabels, type LabelEntry, type TimeSeries } from './store.js';

const INITIAL_CAPACITY = 16;

export const emptySeries = (): TimeSeries => ({
  start: 0,
  end: 0,
  timestampsMs: new Float64Array(0),
  transactionIds: [],
  centsBefore: new Float64Array(0),
  centsTotal: 0,
});

const before = (ts: number, id: string, otherTs: number, otherId: string): boolean => ts < otherTs || (ts === otherTs && id < otherId);

/** Drops the entries older than `keepFromMs` (they stay in the arrays until the next compaction). */
function dropBefore(series: TimeSeries, keepFromMs: number): void {
  const times = series.timestampsMs;
  while (series.start < series.end && times[series.start]! < keepFromMs) series.start++;
}

/** Moves the live entries to the front of arrays with room for more (doubled when at least half full). */
function compact(series: TimeSeries, withAmounts: boolean): void {
  const live = series.end - series.start;
  const capacity = live * 2 >= series.timestampsMs.length ? Math.max(INITIAL_CAPACITY, live * 2) : series.timestampsMs.length;
  const timestamps = new Float64Array(capacity);
  timestamps.set(series.timestampsMs.subarray(series.start, series.end));
  series.timestampsMs = timestamps;
  if (withAmounts) {
    const centsBefore = new Float64Array(capacity);
    centsBefore.set(series.centsBefore.subarray(series.start, series.end));
    series.centsBefore = centsBefore;
  }
  series.transactionIds = series.transactionIds.slice(series.start, series.end);
  series.start = 0;
  series.end = live;
}

/**
 * Inserts (ts, id, cents) in (timestamp, transactionId) order unless it is there already; returns
 * whether it was inserted. `withAmounts` for cards: the running totals are kept. Entries older than
 * `keepFromMs` are dropped when the arrays are full (readers apply their own window bounds, so an old
 * entry kept a while longer changes nothing, and not checking on every insert saves a cache miss).
 */
export function insertEntry(series: TimeSeries, ts: number, id: string, cents: number, withAmounts: boolean, keepFromMs: number): boolean {
  const times = series.timestampsMs;
  let index = series.end;
  // Streams come in time order: usually an append after a strictly earlier entry, decided on the timestamp alone.
  if (index > series.start && times[index - 1]! >= ts) {
    while (index > series.start && before(ts, id, times[index - 1]!, series.transactionIds[index - 1]!)) index--;
    if (index > series.start && times[index - 1] === ts && series.transactionIds[index - 1] === id) return false;
  }
  if (series.end === series.timestampsMs.length) {
    dropBefore(series, keepFromMs);
    index = Math.max(index, series.start) - series.start;
    compact(series, withAmounts);
  }
  if (index < series.end) {
    series.timestampsMs.copyWithin(index + 1, index, series.end);
    series.transactionIds.splice(index, 0, id);
    if (withAmounts) {
      const centsBefore = series.centsBefore;
      centsBefore.copyWithin(index + 1, index, series.end);
      for (let later = index + 1; later <= series.end; later++) centsBefore[later]! += cents;
    }
  } else {
    series.transactionIds[index] = id;
    if (withAmounts) series.centsBefore[index] = series.centsTotal;
  }
  series.timestampsMs[index] = ts;
  if (withAmounts) series.centsTotal += cents;
  series.end++;
  return true;
}

/** Inserts a label event in `compareLabels` order unless it is there already; returns whether it was inserted. */
export function insertLabel(list: LabelEntry[], entry: LabelEntry): boolean {
  let index = list.length;
  while (index > 0 && compareLabels(list[index - 1]!, entry) > 0) index--;
  if (index > 0 && compareLabels(list[index - 1]!, entry) === 0) return false;
  list.splice(index, 0, entry);
  return true;
}

/** Drops the label events of transactions older than `keepFromMs`. */
export function dropLabelsBefore(list: LabelEntry[], keepFromMs: number): void {
  let expired = 0;
  while (expired < list.length && list[expired]!.transactionTimestampMs < keepFromMs) expired++;
  if (expired > 0) list.splice(0, expired);
}
