import { describe, expect, it } from 'vitest';
import { HANDBOOK_HEADER, columnsOf } from '../../src/csv/columns.js';
import { isFraudstreamError } from '../../src/errors.js';

describe('columnsOf', () => {
  it('finds the columns of the written header', () => {
    expect(HANDBOOK_HEADER).toBe('TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO');
    expect(columnsOf('data.csv', HANDBOOK_HEADER)).toEqual({ count: 7, id: 0, datetime: 1, customer: 2, terminal: 3, amount: 4, fraud: 5, scenario: 6 });
  });

  it('finds them among other columns, in any order, and without the scenario', () => {
    expect(columnsOf('data.csv', 'X, TX_FRAUD ,TX_AMOUNT,TERMINAL_ID,CUSTOMER_ID,TX_DATETIME,TRANSACTION_ID')).toEqual({
      count: 7,
      id: 6,
      datetime: 5,
      customer: 4,
      terminal: 3,
      amount: 2,
      fraud: 1,
      scenario: -1,
    });
  });

  it('names the file and every missing column', () => {
    let error: unknown;
    try {
      columnsOf('data.csv', 'TRANSACTION_ID,TX_DATETIME');
    } catch (err) {
      error = err;
    }
    expect(isFraudstreamError(error, 'CSV_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/^data\.csv: the header lacks the columns CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT, TX_FRAUD /);
  });
});
