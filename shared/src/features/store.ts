/**
 * A transaction as the feature engine sees it (a CSV row has this shape too, so offline replay passes
 * rows as they are). Amounts are summed as integer cents, `Math.round(amount * 100)`, so sums are
 * exact in any order.
 */
export interface TransactionRecord {
  transactionId: string;
  timestampMs: number;
  cardId: string;
  terminalId: string;
  amount: number;
}

export const centsOf = (amount: number): number => Math.round(amount * 100);

/** One label event. A transaction's effective label at time t is its latest event with `labeledAtMs ≤ t`. */
export interface LabelRecord {
  transactionId: string;
  terminalId: string;
  transactionTimestampMs: number;
  labeledAtMs: number;
  fraud: boolean;
}

/**
 * A card's or terminal's transactions as columns (contiguous typed arrays: the engine reads a few of
 * them per transaction, so memory locality is what makes it fast). Entries [start, end) are live,
 * sorted by (timestamp, transactionId). Cards also keep running totals of their amounts in cents, so a
 * window's sum is two reads: `centsBefore[i]` is the total of the entries before i (from an arbitrary
 * base) and `centsTotal` the total of them all. Terminals leave `centsBefore` empty.
 */
export interface TimeSeries {
  start: number;
  end: number;
  timestampsMs: Float64Array;
  transactionIds: string[];
  centsBefore: Float64Array;
  centsTotal: number;
}

export interface LabelEntry {
  transactionId: string;
  transactionTimestampMs: number;
  labeledAtMs: number;
  fraud: boolean;
}

/**
 * What the engine needs to compute a batch's features (read-only for the engine), as columns: for the
 * transaction at index i, its card's series, its terminal's series and its terminal's label events.
 * Each list is sorted by (timestamp, transactionId[, labeledAt, fraud]) and holds at least the entries
 * in the spans the engine asked for; it may hold more (the engine applies the exact window bounds).
 */
export interface BatchHistories {
  cards: TimeSeries[];
  terminals: TimeSeries[];
  /** Label events of the terminal's transactions. */
  terminalLabels: (readonly LabelEntry[])[];
}

export const emptyHistories = (n: number): BatchHistories => ({
  cards: new Array<TimeSeries>(n),
  terminals: new Array<TimeSeries>(n),
  terminalLabels: new Array<readonly LabelEntry[]>(n),
});

/**
 * How far back, from a transaction's timestamp t, the engine reads: cards [t − cardMs, t], terminals'
 * transactions [t − terminalMs, t − terminalLagMs], terminals' labels [t − terminalMs, t].
 */
export interface HistorySpans {
  cardMs: number;
  terminalMs: number;
  /** The terminal windows end this long before the transaction (the label delay). */
  terminalLagMs: number;
  /** Extra history kept beyond the spans (the label delay), so a late redelivery still finds its window. */
  graceMs: number;
}

/**
 * Where per-card and per-terminal history lives. Batch-oriented: one call per batch of events, so the
 * Redis implementation makes one round trip per batch. Idempotent: recording the same transaction or
 * label again changes nothing.
 *
 * What callers guarantee (the offline replay by its order, the detector by its event-time gate and its
 * partitioning): a batch with a transaction at time t comes after every transaction up to
 * t − terminalLagMs and every label with labeledAt ≤ t have been recorded, by any writer; and between
 * two `forgetCards()` calls, a card's transactions are recorded by this store instance only.
 */
export interface RecordOptions {
  /**
   * Every transaction (of any card or terminal) before this time is known to be recorded, as the
   * detector knows from its partitions' progress: a shared store may then read that far ahead.
   */
  recordedBeforeMs?: number;
}

export interface FeatureStore {
  /** Records the transactions, then returns each one's history (its own entry included). */
  record(transactions: readonly TransactionRecord[], spans: HistorySpans, options?: RecordOptions): Promise<BatchHistories>;
  recordLabels(labels: readonly LabelRecord[], spans: HistorySpans): Promise<void>;
  /** Cards may be recorded elsewhere from now on (a rebalance moved partitions): forget what was cached of them. */
  forgetCards(): void;
  close(): Promise<void>;
}

export const compareLabels = (a: LabelEntry, b: LabelEntry): number =>
  a.transactionTimestampMs - b.transactionTimestampMs ||
  (a.transactionId < b.transactionId ? -1 : a.transactionId > b.transactionId ? 1 : 0) ||
  a.labeledAtMs - b.labeledAtMs ||
  Number(a.fraud) - Number(b.fraud);
