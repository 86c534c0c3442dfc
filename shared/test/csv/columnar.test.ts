import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readHandbookCsv, type HandbookRow } from '../../src/csv/index.js';
import { parseHandbookColumns, readHandbookColumns } from '../../src/csv/columnar.js';
import { cardIdFor, terminalIdFor, transactionIdFor } from '../../src/ids.js';

const HEADER = 'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO';
const columnsOf = (text: string) => parseHandbookColumns('test.csv', Buffer.from(text, 'latin1'));

describe('readHandbookColumns', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-columnar-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the rows readHandbookCsv reads, as columns', async () => {
    const path = join(dir, 'plain.csv');
    const lines = [
      'EXTRA,TX_FRAUD,TX_AMOUNT,TERMINAL_ID,CUSTOMER_ID,TX_DATETIME,TRANSACTION_ID',
      'x,0,12,3,7,2018-04-01 00:00:09,0',
      'yy,1,12.3,0,7,2018-04-01T00:00:09,1\r',
      '',
      ',0,1234.56,9999,10000000,2018-12-31 23:59:59,000000000002',
      '\r',
      'z,0,0.05,12,0,2020-02-29 12:30:00,999999999999',
    ];
    writeFileSync(path, lines.join('\n'));
    const rows: HandbookRow[] = [];
    for await (const batch of readHandbookCsv(path)) rows.push(...batch);
    const columns = await readHandbookColumns(path);
    expect(columns?.n).toBe(4);
    expect(rows).toHaveLength(4);
    rows.forEach((row, index) => {
      expect(transactionIdFor(columns!.transactionIds[index]!)).toBe(row.transactionId);
      expect(columns!.timestampsMs[index]).toBe(row.timestampMs);
      expect(cardIdFor(columns!.cardNumbers[index]!)).toBe(row.cardId);
      expect(terminalIdFor(columns!.terminalNumbers[index]!)).toBe(row.terminalId);
      expect(columns!.cents[index]! / 100).toBe(row.amount);
      expect(columns!.fraud[index] === 1).toBe(row.fraud);
    });
  });

  it('leaves to readHandbookCsv any line that is not in the plain form, and a bad header', () => {
    const plain = '0,2018-04-01 00:00:09,316,3939,23.56,0,0';
    expect(columnsOf(`${HEADER}\n${plain}\n`)?.n).toBe(1);
    for (const line of [
      '0,2018-04-01 00:00:09,316,3939,23.56,0', // a field short
      '0,2018-04-01 00:00:09,316,3939,23.56,0,0,1', // one too many
      '0,2018-04-01 0:00:09,316,3939,23.56,0,0',
      '0,2018-02-30 00:00:09,316,3939,23.56,0,0',
      '0,2018-04-01 24:00:00,316,3939,23.56,0,0',
      '0,2018-04-01 00:00:09,0316,3939,23.56,0,0', // a leading zero names another card
      '0,2018-04-01 00:00:09,316,03939,23.56,0,0',
      '0,2018-04-01 00:00:09,10000001,3939,23.56,0,0',
      '1234567890123,2018-04-01 00:00:09,316,3939,23.56,0,0', // padded ids sort as numbers up to 12 digits
      '-1,2018-04-01 00:00:09,316,3939,23.56,0,0',
      '0,2018-04-01 00:00:09,316,3939,23.567,0,0', // rounded to cents by readHandbookCsv
      '0,2018-04-01 00:00:09,316,3939,-23.56,0,0',
      '0,2018-04-01 00:00:09,316,3939,23.,0,0',
      '0,2018-04-01 00:00:09,316,3939,,0,0',
      '0,2018-04-01 00:00:09,316,3939,1e3,0,0',
      '0,2018-04-01 00:00:09,316,3939,23.56,2,0',
      '0,2018-04-01 00:00:09,316,3939,23.56,0,',
      '0,2018-04-01 00:00:09,316,3939,23.56,0,x',
      '0,2018-04-01 00:00:09,316,3939,23.56,01,0',
    ]) {
      expect(columnsOf(`${HEADER}\n${plain}\n${line}\n`), line).toBeUndefined();
    }
    expect(columnsOf('TRANSACTION_ID,TX_DATETIME\n0,2018-04-01 00:00:09\n')).toBeUndefined();
    expect(columnsOf('')).toBeUndefined();
  });

  it('reads a header alone as no rows', () => {
    expect(columnsOf(HEADER)?.n).toBe(0);
    expect(columnsOf(`${HEADER}\r\n`)?.n).toBe(0);
  });
});
