import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RowEncoder } from '../../src/csv/encode.js';
import { createHandbookRowFormatter } from '../../src/csv/format.js';
import type { HandbookRecord } from '../../src/csv/rows.js';

const encoded = (records: HandbookRecord[]): string => {
  const encoder = new RowEncoder(1 << 16);
  for (const record of records) encoder.row(record);
  return encoder.take().toString('utf8');
};

describe('RowEncoder', () => {
  it('encodes the same text as the row formatter', () => {
    const id = fc.oneof(fc.integer({ min: 0, max: 1e12 }).map((n) => String(n).padStart(12, '0')), fc.string({ maxLength: 12 }));
    const record = fc.record({
      transactionId: id,
      timestampMs: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
      cardId: fc.oneof(fc.nat().map((n) => `card-${n}`), fc.string({ maxLength: 10 })),
      terminalId: fc.oneof(fc.nat().map((n) => `term-${n}`), fc.string({ maxLength: 10 })),
      amount: fc.integer({ min: 0, max: 1e9 }).map((cents) => cents / 100),
      fraud: fc.boolean(),
      scenario: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), (records) => {
        const format = createHandbookRowFormatter();
        expect(encoded(records)).toBe(records.map(format).join(''));
      }),
    );
  });

  it('hands over what it encoded and starts again empty', () => {
    const encoder = new RowEncoder(4096);
    encoder.row({ transactionId: '000000000000', timestampMs: 0, cardId: 'card-1', terminalId: 'term-2', amount: 3, fraud: false, scenario: 0 });
    expect(encoder.take().toString()).toBe('0,1970-01-01 00:00:00,1,2,3.00,0,0\n');
    expect(encoder.length).toBe(0);
    expect(encoder.take().length).toBe(0);
  });
});
