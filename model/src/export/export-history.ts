import { renameSync, rmSync } from 'node:fs';
import { createHandbookCsvWriter, recordFromTransaction, type Kafka, type Logger } from '@fraudstream/shared';
import { createHistoryCollector, type HistorySummary, type LabeledTransaction } from './history.js';
import { messagesIn, rangesSince, readRanges } from './read-topic.js';

export interface ExportHistoryOptions {
  kafka: Kafka;
  transactionsTopic: string;
  labelsTopic: string;
  /** Records appended to the topics at or after this time (Kafka record timestamps) are exported. */
  sinceMs: number;
  output: string;
  log: Logger;
  /** Progress over both topics, in offsets: called often, cheap to ignore. */
  onProgress?: (done: bigint, total: bigint) => void;
  idleTimeoutMs?: number;
}

export interface ExportResult extends HistorySummary {
  output: string;
  /** Partitions that stopped advancing before their end (each topic's name and partition numbers). */
  incomplete: Record<string, number[]>;
}

/**
 * Reads the transactions and the labels (chargebacks and analyst feedback) appended since `sinceMs`
 * and writes them as a Handbook CSV in event-time order, TX_FRAUD from each transaction's latest
 * label. The file appears whole or not at all (written aside, then renamed).
 */
export async function exportHistory({
  kafka,
  transactionsTopic,
  labelsTopic,
  sinceMs,
  output,
  log,
  onProgress,
  idleTimeoutMs,
}: ExportHistoryOptions): Promise<ExportResult> {
  await requireTopics(kafka, [transactionsTopic, labelsTopic]);
  const [transactionRanges, labelRanges] = await Promise.all([
    rangesSince(kafka, transactionsTopic, sinceMs),
    rangesSince(kafka, labelsTopic, sinceMs),
  ]);
  const total = messagesIn(transactionRanges) + messagesIn(labelRanges);
  const consumed = { transactions: 0n, labels: 0n };
  const report = (): void => onProgress?.(consumed.transactions + consumed.labels, total);
  report();

  const collector = createHistoryCollector();
  const [transactionsRead, labelsRead] = await Promise.all([
    readRanges({
      kafka,
      topic: transactionsTopic,
      ranges: transactionRanges,
      log,
      idleTimeoutMs,
      onMessage: (message) => collector.addTransaction(message.value),
      onProgress: (done) => {
        consumed.transactions = done;
        report();
      },
    }),
    readRanges({
      kafka,
      topic: labelsTopic,
      ranges: labelRanges,
      log,
      idleTimeoutMs,
      onMessage: (message) => collector.addLabel(message.value),
      onProgress: (done) => {
        consumed.labels = done;
        report();
      },
    }),
  ]);

  const rows = collector.rows();
  await writeAtomically(output, rows);
  const incomplete: Record<string, number[]> = {};
  if (transactionsRead.incomplete.length > 0) incomplete[transactionsTopic] = transactionsRead.incomplete;
  if (labelsRead.incomplete.length > 0) incomplete[labelsTopic] = labelsRead.incomplete;
  return { ...collector.summary(rows), output, incomplete };
}

async function requireTopics(kafka: Kafka, names: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = names.filter((name) => !existing.has(name));
    if (missing.length > 0) throw new Error(`no such topic: ${missing.join(', ')} (is KAFKA_BROKERS the system's cluster?)`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * The Handbook CSV, through the shared writer. TX_FRAUD_SCENARIO is 0 on every row: the live
 * system knows that a transaction was fraud, not which scenario made it so.
 */
async function writeAtomically(path: string, rows: readonly LabeledTransaction[]): Promise<void> {
  const staging = `${path}.tmp-${process.pid}`;
  const writer = createHandbookCsvWriter(staging);
  try {
    for (const row of rows) {
      const drained = writer.write(recordFromTransaction(row.transaction, row.fraud));
      if (drained) await drained;
    }
    await writer.close();
    renameSync(staging, path);
  } catch (err) {
    rmSync(staging, { force: true });
    throw err;
  }
}
