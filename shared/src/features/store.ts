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
 * A card's or terminal's transactions as columns (contiguous typed arrays: the engine scans many of
 * them per transaction, so memory locality is what makes it fast). Entries [start, end) are live,
 * sorted by (timestamp, transactionId). `amountsCents` is filled for cards only.
 */
export interface TimeSeries {
  start: number;
  end: number;
  timestampsMs: Float64Array;
  transactionIds: string[];
  amountsCents: Float64Array;
}

export const emptySeries = (): TimeSeries => ({
  start: 0,
  end: 0,
  timestampsMs: new Float64Array(0),
  transactionIds: [],
  amountsCents: new Float64Array(0),
});

export interface LabelEntry {
  transactionId: string;
  transactionTimestampMs: number;
  labeledAtMs: number;
  fraud: boolean;
}

/**
 * What the engine needs to compute one transaction's features (read-only for the engine). Each list
 * is sorted by (timestamp, transactionId[, labeledAt, fraud]) and holds at least the entries in the
 * spans the engine asked for; it may hold more (the engine applies the exact window bounds itself).
 */
export interface TransactionHistory {
  card: TimeSeries;
  terminal: TimeSeries;
  /** Label events of the terminal's transactions. */
  terminalLabels: readonly LabelEntry[];
}

/** How far back, from a transaction's timestamp t, the engine reads: cards [t − cardMs, t], terminals [t − terminalMs, t]. */
export interface HistorySpans {
  cardMs: number;
  terminalMs: number;
  /** Extra history kept beyond the spans (the label delay), so a late redelivery still finds its window. */
  graceMs: number;
}

/**
 * Where per-card and per-terminal history lives. Batch-oriented: one call per batch of events, so the
 * Redis implementation makes one round trip per batch. Idempotent: recording the same transaction or
 * label again changes nothing.
 */
export interface FeatureStore {
  /** Records the transactions, then returns each one's history (its own entry included). */
  record(transactions: readonly TransactionRecord[], spans: HistorySpans): Promise<TransactionHistory[]>;
  recordLabels(labels: readonly LabelRecord[], spans: HistorySpans): Promise<void>;
  close(): Promise<void>;
}

export const compareLabels = (a: LabelEntry, b: LabelEntry): number =>
  a.transactionTimestampMs - b.transactionTimestampMs ||
  (a.transactionId < b.transactionId ? -1 : a.transactionId > b.transactionId ? 1 : 0) ||
  a.labeledAtMs - b.labeledAtMs ||
  Number(a.fraud) - Number(b.fraud);
