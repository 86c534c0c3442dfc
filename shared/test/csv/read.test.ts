import { describe, expect, it } from 'vitest';
import { isFraudstreamError } from '../../src/errors.js';
import type { BadCsvRow } from '../../src/csv/index.js';
import { fileWith, readAll } from '../support/csv-files.js';

describe('readHandbookCsv', () => {
  it("reads the Handbook's own layout, extra columns included, into event ids", async () => {
    const path = fileWith(
      ',TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO\n' +
        '0,0,2018-04-01 00:00:31,596,3156,57.16,31,0,0,0\n' +
        '1,1,2018-04-01 00:02:10,4961,3412,81.51,130,0,1,2\r\n',
    );
    const rows = await readAll(path);
    expect(rows).toEqual([
      {
        line: 2,
        transactionId: '000000000000',
        timestampMs: Date.UTC(2018, 3, 1, 0, 0, 31),
        cardId: 'card-596',
        terminalId: 'term-3156',
        amount: 57.16,
        fraud: false,
        scenario: 0,
      },
      {
        line: 3,
        transactionId: '000000000001',
        timestampMs: Date.UTC(2018, 3, 1, 0, 2, 10),
        cardId: 'card-4961',
        terminalId: 'term-3412',
        amount: 81.51,
        fraud: true,
        scenario: 2,
      },
    ]);
  });

  it('reports each bad row with its line number and reason, and reads on', async () => {
    const path = fileWith(
      [
        'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD',
        '1,2018-04-01 00:00:31,5,7,10.00,0',
        '2,2018-04-01 00:00:32,5,7,10.00',
        '3,2018-02-30 00:00:33,5,7,10.00,0',
        '4,2018-04-01 00:00:34,5,7,abc,0',
        '5,2018-04-01 00:00:35,5,7,0,0',
        '6,2018-04-01 00:00:36,5,7,12.5,2',
        '7,2018-04-01 24:00:00,5,7,12.5,1',
        '',
        '9,2018-04-01 00:00:39,x,7,12.5,1',
        '10,2018-04-01 00:00:40,5,7,-3,1',
        '11,2018-04-01 00:00:41,5,7,3.5,1',
      ].join('\n'),
    );
    const bad: BadCsvRow[] = [];
    const rows = await readAll(path, { onBadRow: (row) => bad.push(row) });
    expect(rows.map((row) => [row.line, row.transactionId])).toEqual([
      [2, '000000000001'],
      [6, '000000000005'],
      [12, '000000000011'],
    ]);
    expect(bad.map((row) => row.line)).toEqual([3, 4, 5, 7, 8, 10, 11]);
    expect(bad[0]).toEqual({ line: 3, reason: 'expected 6 fields, got 5', text: '2,2018-04-01 00:00:32,5,7,10.00' });
    expect(bad[1]?.reason).toMatch(/^TX_DATETIME/);
    expect(bad[2]?.reason).toMatch(/^TX_AMOUNT/);
    expect(bad[3]?.reason).toMatch(/^TX_FRAUD: expected 0 or 1/);
    expect(bad[4]?.reason).toMatch(/^TX_DATETIME/);
    expect(bad[5]?.reason).toMatch(/^CUSTOMER_ID/);
    expect(bad[6]).toMatchObject({ line: 11, reason: 'TX_AMOUNT: expected a number >= 0, got "-3"' });
  });

  it('reads amounts in every decimal form as cents and keeps ids as written', async () => {
    const path = fileWith(
      'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n' +
        '1,2018-04-01T00:00:01,7,007,12,0\n2,2018-04-01 00:00:02,7,7,12.3,0\n3,2018-04-01 00:00:03,7,7,1e2,0\n' +
        '4,2018-04-01 00:00:04,7,7,12.345,0\n5,2018-04-01 00:00:05,7,7,0.004,0\n',
    );
    const bad: BadCsvRow[] = [];
    const rows = await readAll(path, { onBadRow: (row) => bad.push(row) });
    // 0.004 rounds to a $0.00 payment, which is valid (an account verification).
    expect(rows.map((row) => row.amount)).toEqual([12, 12.3, 100, 12.35, 0]);
    expect(rows.map((row) => row.terminalId)).toEqual(['term-007', 'term-7', 'term-7', 'term-7', 'term-7']);
    expect(bad).toEqual([]);
  });

  it('refuses a header without the required columns, naming them', async () => {
    const path = fileWith('TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TX_AMOUNT\n1,2018-04-01 00:00:31,5,10.00\n');
    const error = await readAll(path).catch((err: unknown) => err);
    expect(isFraudstreamError(error, 'CSV_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/TERMINAL_ID, TX_FRAUD/);
  });

  it('refuses an empty file', async () => {
    const error = await readAll(fileWith('')).catch((err: unknown) => err);
    expect(isFraudstreamError(error, 'CSV_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/the file is empty/);
  });

  it('keeps lines that straddle read chunks whole', async () => {
    const lines = Array.from({ length: 500 }, (_, n) => `${n},2018-04-0${1 + (n % 9)} 12:34:56,${n % 50},${n % 70},${n + 1}.25,${n % 2}`);
    const path = fileWith(`TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n${lines.join('\n')}\n`);
    const rows = await readAll(path, { chunkBytes: 37 });
    expect(rows).toHaveLength(500);
    expect(rows[499]).toMatchObject({ line: 501, transactionId: '000000000499', amount: 500.25, fraud: true });
  });
});
