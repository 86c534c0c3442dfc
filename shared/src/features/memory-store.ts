import {
  centsOf,
  compareLabels,
  emptySeries,
  type FeatureStore,
  type HistorySpans,
  type LabelEntry,
  type LabelRecord,
  type TimeSeries,
  type TransactionHistory,
  type TransactionRecord,
} from './store.js';

const SWEEP_EVERY = 200_000;
const INITIAL_CAPACITY = 16;

const before = (ts: number, id: string, otherTs: number, otherId: string): boolean => ts < otherTs || (ts === otherTs && id < otherId);

/** Drops entries older than `keepFromMs`, then inserts (ts, id, cents) in order unless it is already there. */
function insertEntry(series: TimeSeries, ts: number, id: string, cents: number, withAmounts: boolean, keepFromMs: number): void {
  const times = series.timestampsMs;
  while (series.start < series.end && times[series.start]! < keepFromMs) series.start++;
  let index = series.end;
  // Streams come in time order: usually an append after a strictly earlier entry, decided on the timestamp alone.
  if (index === series.start || times[index - 1]! < ts) {
    // append
  } else {
    while (index > series.start && before(ts, id, times[index - 1]!, series.transactionIds[index - 1]!)) index--;
    if (index > series.start && times[index - 1] === ts && series.transactionIds[index - 1] === id) return;
  }

  if (series.end === series.timestampsMs.length) {
    const live = series.end - series.start;
    const capacity = live * 2 >= series.timestampsMs.length ? Math.max(INITIAL_CAPACITY, live * 2) : series.timestampsMs.length;
    const timestamps = new Float64Array(capacity);
    timestamps.set(series.timestampsMs.subarray(series.start, series.end));
    series.timestampsMs = timestamps;
    if (withAmounts) {
      const amounts = new Float64Array(capacity);
      amounts.set(series.amountsCents.subarray(series.start, series.end));
      series.amountsCents = amounts;
    }
    series.transactionIds = series.transactionIds.slice(series.start, series.end);
    index -= series.start;
    series.start = 0;
    series.end = live;
  }
  if (index < series.end) {
    series.timestampsMs.copyWithin(index + 1, index, series.end);
    if (withAmounts) series.amountsCents.copyWithin(index + 1, index, series.end);
    series.transactionIds.splice(index, 0, id);
  } else {
    series.transactionIds[index] = id;
  }
  series.timestampsMs[index] = ts;
  if (withAmounts) series.amountsCents[index] = cents;
  series.end++;
}

function insertLabel(list: LabelEntry[], entry: LabelEntry, keepFromMs: number): void {
  let index = list.length;
  while (index > 0 && compareLabels(list[index - 1]!, entry) > 0) index--;
  if (index > 0 && compareLabels(list[index - 1]!, entry) === 0) return;
  list.splice(index, 0, entry);
  let expired = 0;
  while (expired < list.length && list[expired]!.transactionTimestampMs < keepFromMs) expired++;
  if (expired > 0) list.splice(0, expired);
}

const NO_LABELS: readonly LabelEntry[] = [];

/**
 * The feature store in this process's memory: offline replay, single-replica runs and tests.
 * Histories are returned by reference (no copies), which is what makes offline scoring fast.
 */
export function createMemoryFeatureStore(): FeatureStore {
  const cards = new Map<string, TimeSeries>();
  const terminals = new Map<string, TimeSeries>();
  const terminalLabels = new Map<string, LabelEntry[]>();
  let newestMs = -Infinity;
  let sinceSweep = 0;

  function seriesOf(map: Map<string, TimeSeries>, key: string): TimeSeries {
    let series = map.get(key);
    if (series === undefined) {
      series = emptySeries();
      map.set(key, series);
    }
    return series;
  }

  /** Forgets cards and terminals that have been quiet for longer than everything the engine reads. */
  function sweep(spans: HistorySpans): void {
    const sweepSeries = (map: Map<string, TimeSeries>, keepFromMs: number): void => {
      for (const [key, series] of map) {
        if (series.end === series.start || series.timestampsMs[series.end - 1]! < keepFromMs) map.delete(key);
      }
    };
    sweepSeries(cards, newestMs - spans.cardMs - spans.graceMs);
    sweepSeries(terminals, newestMs - spans.terminalMs - spans.graceMs);
    for (const [key, list] of terminalLabels) {
      const last = list[list.length - 1];
      if (last === undefined || last.transactionTimestampMs < newestMs - spans.terminalMs - spans.graceMs) terminalLabels.delete(key);
    }
  }

  return {
    record(transactions: readonly TransactionRecord[], spans: HistorySpans): Promise<TransactionHistory[]> {
      const histories = new Array<TransactionHistory>(transactions.length);
      for (let index = 0; index < transactions.length; index++) {
        const tx = transactions[index]!;
        const t = tx.timestampMs;
        if (t > newestMs) newestMs = t;
        const card = seriesOf(cards, tx.cardId);
        const terminal = seriesOf(terminals, tx.terminalId);
        insertEntry(card, t, tx.transactionId, centsOf(tx.amount), true, t - spans.cardMs - spans.graceMs);
        insertEntry(terminal, t, tx.transactionId, 0, false, t - spans.terminalMs - spans.graceMs);
        // Most terminals have no labels: they share one empty list. (Labels are recorded between
        // batches, so the list is the same for every transaction of this one.)
        histories[index] = { card, terminal, terminalLabels: terminalLabels.get(tx.terminalId) ?? NO_LABELS };
      }
      sinceSweep += transactions.length;
      if (sinceSweep >= SWEEP_EVERY) {
        sinceSweep = 0;
        sweep(spans);
      }
      return Promise.resolve(histories);
    },

    recordLabels(labels: readonly LabelRecord[], spans: HistorySpans): Promise<void> {
      for (const label of labels) {
        let list = terminalLabels.get(label.terminalId);
        if (list === undefined) terminalLabels.set(label.terminalId, (list = []));
        insertLabel(
          list,
          {
            transactionId: label.transactionId,
            transactionTimestampMs: label.transactionTimestampMs,
            labeledAtMs: label.labeledAtMs,
            fraud: label.fraud,
          },
          newestMs - spans.terminalMs - spans.graceMs,
        );
      }
      return Promise.resolve();
    },

    close(): Promise<void> {
      cards.clear();
      terminals.clear();
      terminalLabels.clear();
      return Promise.resolve();
    },
  };
}
