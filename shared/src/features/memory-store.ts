import { dropLabelsBefore, emptySeries, insertEntry, insertLabel } from './series.js';
import {
  centsOf,
  emptyHistories,
  type BatchHistories,
  type FeatureStore,
  type HistorySpans,
  type LabelEntry,
  type LabelRecord,
  type TimeSeries,
  type TransactionRecord,
} from './store.js';

const SWEEP_EVERY = 200_000;

const NO_LABELS: readonly LabelEntry[] = [];

/** A terminal's transactions and label events: one map entry, one lookup per transaction. */
interface TerminalState {
  series: TimeSeries;
  labels: LabelEntry[] | undefined;
}

/**
 * The feature store in this process's memory: offline replay, single-replica runs and tests.
 * Histories are returned by reference (no copies), which is what makes offline scoring fast.
 */
export function createMemoryFeatureStore(): FeatureStore {
  const cards = new Map<string, TimeSeries>();
  const terminals = new Map<string, TerminalState>();
  let newestMs = -Infinity;
  let sinceSweep = 0;

  function cardOf(cardId: string): TimeSeries {
    let series = cards.get(cardId);
    if (series === undefined) {
      series = emptySeries();
      cards.set(cardId, series);
    }
    return series;
  }

  function terminalOf(terminalId: string): TerminalState {
    let terminal = terminals.get(terminalId);
    if (terminal === undefined) {
      terminal = { series: emptySeries(), labels: undefined };
      terminals.set(terminalId, terminal);
    }
    return terminal;
  }

  const quietSince = (series: TimeSeries, keepFromMs: number): boolean =>
    series.end === series.start || series.timestampsMs[series.end - 1]! < keepFromMs;

  /** Forgets cards and terminals that have been quiet for longer than everything the engine reads. */
  function sweep(spans: HistorySpans): void {
    const keepCardsFromMs = newestMs - spans.cardMs - spans.graceMs;
    const keepTerminalsFromMs = newestMs - spans.terminalMs - spans.graceMs;
    for (const [key, series] of cards) if (quietSince(series, keepCardsFromMs)) cards.delete(key);
    for (const [key, { series, labels }] of terminals) {
      const lastLabel = labels?.[labels.length - 1];
      const labelsQuiet = lastLabel === undefined || lastLabel.transactionTimestampMs < keepTerminalsFromMs;
      if (quietSince(series, keepTerminalsFromMs) && labelsQuiet) terminals.delete(key);
    }
  }

  return {
    record(transactions: readonly TransactionRecord[], spans: HistorySpans): Promise<BatchHistories> {
      const histories = emptyHistories(transactions.length);
      for (let index = 0; index < transactions.length; index++) {
        const tx = transactions[index]!;
        const t = tx.timestampMs;
        if (t > newestMs) newestMs = t;
        const card = cardOf(tx.cardId);
        const terminal = terminalOf(tx.terminalId);
        insertEntry(card, t, tx.transactionId, centsOf(tx.amount), true, t - spans.cardMs - spans.graceMs);
        insertEntry(terminal.series, t, tx.transactionId, 0, false, t - spans.terminalMs - spans.graceMs);
        histories.cards[index] = card;
        histories.terminals[index] = terminal.series;
        // Labels are recorded between batches, so the list is the same for every transaction of this one.
        // Most terminals have none: they share one empty list.
        histories.terminalLabels[index] = terminal.labels ?? NO_LABELS;
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
        const terminal = terminalOf(label.terminalId);
        const list = (terminal.labels ??= []);
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
      return Promise.resolve();
    },
  };
}
