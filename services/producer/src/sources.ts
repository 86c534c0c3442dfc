import { readHandbookCsv, transactionFromRow, type BadCsvRow, type Transaction } from '@fraudstream/shared';
import type { Simulator } from './simulator/simulator.js';
import { transactionEventOf } from './simulator/simulator.js';

/** A transaction to publish and whether it is a fraud (which earns it a chargeback later). */
export interface SourceEvent {
  transaction: Transaction;
  /** Event time of the transaction, epoch milliseconds. */
  timestampMs: number;
  fraud: boolean;
}

/** Transactions in event-time order, in chunks (a simulated day, a chunk of a file). */
export interface TransactionSource {
  events: AsyncIterable<SourceEvent[]>;
  /** Whether the source ends by itself (a file) rather than only when stopped (the simulation). */
  finite: boolean;
  /** Rows that could not be read and were skipped. */
  badRows(): number;
}

/** The simulator, day after day, for as long as it is asked. */
export function simulatedSource(simulator: Simulator): TransactionSource {
  async function* events(): AsyncGenerator<SourceEvent[]> {
    for (;;) {
      yield simulator.nextDay().map((simulated) => ({
        transaction: transactionEventOf(simulated),
        timestampMs: simulated.timestampMs,
        fraud: simulated.fraud,
      }));
    }
  }
  return { events: events(), finite: false, badRows: () => 0 };
}

/** A Handbook CSV, row by row; a bad row goes to `onBadRow` (with its line number) and is skipped. */
export function replaySource(path: string, onBadRow: (bad: BadCsvRow) => void): TransactionSource {
  let badRows = 0;
  async function* events(): AsyncGenerator<SourceEvent[]> {
    const reading = readHandbookCsv(path, {
      onBadRow: (bad) => {
        badRows++;
        onBadRow(bad);
      },
    });
    for await (const rows of reading) {
      yield rows.map((row) => ({ transaction: transactionFromRow(row), timestampMs: row.timestampMs, fraud: row.fraud }));
    }
  }
  return { events: events(), finite: true, badRows: () => badRows };
}
