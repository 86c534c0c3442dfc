/** One valid row of a Handbook CSV, with fraudstream's event ids. */
export interface HandbookRow {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  transactionId: string;
  timestampMs: number;
  cardId: string;
  terminalId: string;
  amount: number;
  fraud: boolean;
  /** TX_FRAUD_SCENARIO when the file has it (1, 2 or 3 for a fraud, 0 otherwise); 0 when it does not. */
  scenario: number;
}

/** A row to write: a HandbookRow without its line number. */
export type HandbookRecord = Omit<HandbookRow, 'line'>;

export interface BadCsvRow {
  line: number;
  reason: string;
  /** The line as read (without its line ending), for the report. */
  text: string;
}
