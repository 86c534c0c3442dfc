import { describe, expect, it } from 'vitest';
import { createHandbookRowFormatter, formatHandbookRow } from '../../src/csv/format.js';
import { sampleRecord as record } from '../support/csv-files.js';

describe('formatHandbookRow', () => {
  it('formats a row with numeric ids, UTC time and cents', () => {
    expect(formatHandbookRow(record)).toBe('42,2018-09-30 23:59:07,17,9,1234.50,1,3\n');
    expect(formatHandbookRow({ ...record, amount: 0.07, fraud: false, scenario: 0 })).toBe('42,2018-09-30 23:59:07,17,9,0.07,0,0\n');
  });

  it('writes ids that are not the Handbook numbers as they are', () => {
    expect(formatHandbookRow({ ...record, transactionId: 'tx-1', cardId: 'tok_9', terminalId: 'pos-3' })).toBe(
      'tx-1,2018-09-30 23:59:07,tok_9,pos-3,1234.50,1,3\n',
    );
  });

  it('gets the date right on a formatter that moves from one day to the next', () => {
    const format = createHandbookRowFormatter();
    expect(format(record)).toMatch(/^42,2018-09-30 23:59:07,/);
    expect(format({ ...record, timestampMs: record.timestampMs + 60_000 })).toMatch(/^42,2018-10-01 00:00:07,/);
  });
});
