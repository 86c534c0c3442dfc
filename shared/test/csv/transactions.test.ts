import { describe, expect, it } from 'vitest';
import { recordFromTransaction, transactionFromRow } from '../../src/csv/transactions.js';
import { decodeTransaction, encode } from '../../src/events.js';
import { sampleRecord as record } from '../support/csv-files.js';

describe('transactions and rows', () => {
  it('turns a row into a valid Transaction event', () => {
    const transaction = transactionFromRow({ ...record, line: 2 });
    expect(transaction).toEqual({
      schemaVersion: 1,
      transactionId: '000000000042',
      timestamp: '2018-09-30T23:59:07.000Z',
      cardId: 'card-17',
      terminalId: 'term-9',
      amount: 1234.5,
      currency: 'EUR',
    });
    expect(decodeTransaction(encode(transaction))).toEqual({ ok: true, value: transaction });
  });

  it('turns a Transaction event and its label back into the record it came from', () => {
    expect(recordFromTransaction(transactionFromRow({ ...record, line: 2 }), true, 3)).toEqual(record);
    expect(recordFromTransaction(transactionFromRow({ ...record, line: 2 }), false)).toEqual({ ...record, fraud: false, scenario: 0 });
  });
});
