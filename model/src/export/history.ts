import { decodeLabel, decodeTransaction, type Label, type Transaction } from '@fraudstream/shared';

type LabelSource = Label['source'];

/** One exported transaction with the label it has now (its latest label event; none means legitimate). */
export interface LabeledTransaction {
  transaction: Transaction;
  fraud: boolean;
  labelSource: LabelSource | undefined;
}

export interface HistorySummary {
  transactions: number;
  duplicateTransactions: number;
  invalidTransactions: number;
  labels: number;
  invalidLabels: number;
  /** Labels of transactions outside the exported range (older, or not read). */
  unmatchedLabels: number;
  fraud: number;
  fraudBySource: Record<LabelSource, number>;
  /** Transactions an analyst marked legitimate (their latest label says so). */
  legitByAnalyst: number;
  firstTimestamp: string | undefined;
  lastTimestamp: string | undefined;
}

interface LatestLabel {
  fraud: boolean;
  source: LabelSource;
  labeledAtMs: number;
}

/**
 * Collects transactions and labels read from Kafka in any order and joins them: a transaction's
 * TX_FRAUD is its latest label by `labeledAt` (a chargeback, or an analyst who may overturn it);
 * on equal `labeledAt` the label read last wins.
 */
export function createHistoryCollector() {
  const transactions = new Map<string, Transaction>();
  const labels = new Map<string, LatestLabel>();
  let duplicateTransactions = 0;
  let invalidTransactions = 0;
  let labelCount = 0;
  let invalidLabels = 0;

  return {
    addTransaction(value: Buffer | null): void {
      const decoded = decodeTransaction(value);
      if (!decoded.ok) {
        invalidTransactions += 1;
        return;
      }
      // The producer is idempotent, but replaying the same file twice sends the same ids again.
      if (transactions.has(decoded.value.transactionId)) duplicateTransactions += 1;
      else transactions.set(decoded.value.transactionId, decoded.value);
    },

    addLabel(value: Buffer | null): void {
      const decoded = decodeLabel(value);
      if (!decoded.ok) {
        invalidLabels += 1;
        return;
      }
      labelCount += 1;
      const label: Label = decoded.value;
      const labeledAtMs = Date.parse(label.labeledAt);
      const previous = labels.get(label.transactionId);
      if (!previous || labeledAtMs >= previous.labeledAtMs) {
        labels.set(label.transactionId, { fraud: label.fraud, source: label.source, labeledAtMs });
      }
    },

    /** Every transaction in event-time order (ties by transaction id, as the feature engine orders them). */
    rows(): LabeledTransaction[] {
      const rows = [...transactions.values()].map((transaction) => {
        const label = labels.get(transaction.transactionId);
        return { transaction, fraud: label?.fraud ?? false, labelSource: label?.source };
      });
      return rows.sort(
        (a, b) =>
          Date.parse(a.transaction.timestamp) - Date.parse(b.transaction.timestamp) ||
          (a.transaction.transactionId < b.transaction.transactionId ? -1 : a.transaction.transactionId > b.transaction.transactionId ? 1 : 0),
      );
    },

    summary(rows: readonly LabeledTransaction[]): HistorySummary {
      const fraudBySource: Record<LabelSource, number> = { chargeback: 0, analyst: 0 };
      let legitByAnalyst = 0;
      for (const row of rows) {
        if (row.fraud && row.labelSource) fraudBySource[row.labelSource] += 1;
        if (!row.fraud && row.labelSource === 'analyst') legitByAnalyst += 1;
      }
      let unmatchedLabels = 0;
      for (const transactionId of labels.keys()) if (!transactions.has(transactionId)) unmatchedLabels += 1;
      return {
        transactions: rows.length,
        duplicateTransactions,
        invalidTransactions,
        labels: labelCount,
        invalidLabels,
        unmatchedLabels,
        fraud: fraudBySource.chargeback + fraudBySource.analyst,
        fraudBySource,
        legitByAnalyst,
        firstTimestamp: rows[0]?.transaction.timestamp,
        lastTimestamp: rows.at(-1)?.transaction.timestamp,
      };
    },
  };
}

export type HistoryCollector = ReturnType<typeof createHistoryCollector>;
