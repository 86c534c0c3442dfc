import type { Transaction } from '../events.js';
import { SCHEMA_VERSION } from '../events.js';
import type { HandbookRecord, HandbookRow } from './rows.js';

/** The Transaction event for a CSV row (amounts in EUR, like the Handbook's). */
export function transactionFromRow(row: HandbookRow): Transaction {
  return {
    schemaVersion: SCHEMA_VERSION,
    transactionId: row.transactionId,
    timestamp: new Date(row.timestampMs).toISOString(),
    cardId: row.cardId,
    terminalId: row.terminalId,
    amount: row.amount,
    currency: 'EUR',
  };
}

/** A record to write for a transaction event and its label. */
export function recordFromTransaction(transaction: Transaction, fraud: boolean, scenario = 0): HandbookRecord {
  return {
    transactionId: transaction.transactionId,
    timestampMs: Date.parse(transaction.timestamp),
    cardId: transaction.cardId,
    terminalId: transaction.terminalId,
    amount: transaction.amount,
    fraud,
    scenario,
  };
}
