import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/cursor.js';

describe('page cursors', () => {
  it('round-trip a page position', () => {
    const position = { detectedAt: new Date('2026-03-01T10:00:00.123Z'), sequence: 987_654_321 };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it('round-trip the first and last times a stored alert can have', () => {
    for (const time of ['0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '1969-07-20T20:17:00.000Z']) {
      const position = { detectedAt: new Date(time), sequence: 1 };
      expect(decodeCursor(encodeCursor(position)), time).toEqual(position);
    }
  });

  it('reject anything else', () => {
    const encoded = (text: string): string => Buffer.from(text).toString('base64url');
    const cases = [
      '',
      'abc',
      encoded('1.2.3'),
      encoded('x.1'),
      // Times no stored alert can have (PostgreSQL and ISO 8601 hold years 1 to 9999), sequences past 2^53.
      encoded('-999999999999999.1'),
      encoded('999999999999999.1'),
      encoded('-62135596800001.1'),
      encoded('253402300800000.1'),
      encoded('1772359200000.9007199254740993'),
      // Other spellings of a real position.
      encoded('01772359200000.1'),
      encoded('-0.1'),
      `${encoded('1772359200000.1')}=`,
    ];
    for (const cursor of cases) {
      expect(decodeCursor(cursor), cursor).toBeUndefined();
    }
  });
});
