import { describe, expect, it } from 'vitest';
import { HANDBOOK_HEADER, columnsOf } from '../../src/csv/columns.js';
import { createRowParser } from '../../src/csv/parse.js';
import { sampleRecord } from '../support/csv-files.js';

describe('createRowParser', () => {
  const parser = () => createRowParser(columnsOf('data.csv', HANDBOOK_HEADER));
  const parseLine = (line: string) => parser()(`x\n${line}\ny`, 2, 2 + line.length, 7);

  it('parses a line in place, between the offsets it is given', () => {
    expect(parseLine('42,2018-09-30 23:59:07,17,9,1234.50,1,3')).toEqual({ ...sampleRecord, line: 7 });
  });

  it('says what is wrong with a field, quoting it', () => {
    expect(parseLine('42,2018-09-30 23:59:07,17,9,1234.50,1')).toBe('expected 7 fields, got 6');
    expect(parseLine('42,2018-09-30 23:59:07,17,9,1234.50,1,3,')).toBe('expected 7 fields, got 8');
    expect(parseLine('4a,2018-09-30 23:59:07,17,9,1,1,3')).toBe('TRANSACTION_ID: expected a non-negative integer, got "4a"');
    expect(parseLine('42,2018-09-31 23:59:07,17,9,1,1,3')).toBe(
      'TX_DATETIME: expected a UTC date and time YYYY-MM-DD HH:MM:SS, got "2018-09-31 23:59:07"',
    );
    expect(parseLine('42,2018-09-30 23:59:07,,9,1,1,3')).toBe('CUSTOMER_ID: expected a non-negative integer, got ""');
    expect(parseLine('42,2018-09-30 23:59:07,17,t9,1,1,3')).toBe('TERMINAL_ID: expected a non-negative integer, got "t9"');
    expect(parseLine('42,2018-09-30 23:59:07,17,9,-0,1,3')).toBe('TX_AMOUNT: expected a number >= 0, got "-0"');
    expect(parseLine('42,2018-09-30 23:59:07,17,9,1,10,3')).toBe('TX_FRAUD: expected 0 or 1, got "10"');
    expect(parseLine('42,2018-09-30 23:59:07,17,9,1,1,x')).toBe('TX_FRAUD_SCENARIO: expected a non-negative integer, got "x"');
  });

  it('makes each card and terminal id string once, and keeps leading zeros and large numbers as written', () => {
    const parse = parser();
    const row = (line: string) => {
      const parsed = parse(line, 0, line.length, 2);
      if (typeof parsed === 'string') throw new Error(parsed);
      return parsed;
    };
    const first = row('1,2018-09-30 23:59:07,17,9,1,0,0');
    const second = row('2,2018-09-30 23:59:08,17,9,1,0,0');
    expect(second.cardId).toBe(first.cardId);
    expect(row('3,2018-09-30 23:59:09,017,09,1,0,0')).toMatchObject({ cardId: 'card-017', terminalId: 'term-09' });
    expect(row('4,2018-09-30 23:59:09,123456789012,0,1,0,0')).toMatchObject({ cardId: 'card-123456789012', terminalId: 'term-0' });
  });
});
