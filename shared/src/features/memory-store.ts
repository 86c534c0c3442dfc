import { dropLabelsBefore, emptySeries, insertEntry, insertLabel } from './series.js';
import {
  centsOf,
  type FeatureStore,
  type HistorySpans,
  type LabelEntry,
  type LabelRecord,
  type TimeSeries,
  type TransactionHistory,
  type TransactionRecord,
} from './store.js';

const SWEEP_EVERY = 200_000;

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
        insertLabel(list, {
          transactionId: label.transactionId,
          transactionTimestampMs: label.transactionTimestampMs,
          labeledAtMs: label.labeledAtMs,
          fraud: label.fraud,
        });
        dropLabelsBefore(list, newestMs - spans.terminalMs - spans.graceMs);
      }
      return Promise.resolve();
    },

    forgetCards(): void {
      // Nothing cached: the history is this process's own (one replica only).
    },

    close(): Promise<void> {
      cards.clear();
      terminals.clear();
      terminalLabels.clear();
      return Promise.resolve();
    },
  };
}
