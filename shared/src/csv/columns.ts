import { FraudstreamError } from '../errors.js';

export const HANDBOOK_REQUIRED_COLUMNS = [
  'TRANSACTION_ID',
  'TX_DATETIME',
  'CUSTOMER_ID',
  'TERMINAL_ID',
  'TX_AMOUNT',
  'TX_FRAUD',
] as const;

/** The columns fraudstream writes: the required ones plus the scenario that made a row fraud (0 = none). */
export const HANDBOOK_WRITTEN_COLUMNS = [...HANDBOOK_REQUIRED_COLUMNS, 'TX_FRAUD_SCENARIO'] as const;
export const HANDBOOK_HEADER = HANDBOOK_WRITTEN_COLUMNS.join(',');

/** Where each column the reader uses sits in a file's rows (-1: the optional scenario is absent). */
export interface ColumnPositions {
  count: number;
  id: number;
  datetime: number;
  customer: number;
  terminal: number;
  amount: number;
  fraud: number;
  scenario: number;
}

/** The column positions of a header line; throws FraudstreamError CSV_INVALID naming the missing columns. */
export function columnsOf(path: string, header: string): ColumnPositions {
  const names = header.split(',').map((name) => name.trim());
  const missing = HANDBOOK_REQUIRED_COLUMNS.filter((name) => !names.includes(name));
  if (missing.length > 0) {
    throw new FraudstreamError(
      'CSV_INVALID',
      `${path}: the header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(expected at least ${HANDBOOK_REQUIRED_COLUMNS.join(',')}; got ${JSON.stringify(header.slice(0, 200))})`,
    );
  }
  return {
    count: names.length,
    id: names.indexOf('TRANSACTION_ID'),
    datetime: names.indexOf('TX_DATETIME'),
    customer: names.indexOf('CUSTOMER_ID'),
    terminal: names.indexOf('TERMINAL_ID'),
    amount: names.indexOf('TX_AMOUNT'),
    fraud: names.indexOf('TX_FRAUD'),
    scenario: names.indexOf('TX_FRAUD_SCENARIO'),
  };
}
