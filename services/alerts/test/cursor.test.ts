import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/cursor.js';

describe('page cursors', () => {
  it('round-trip a page position', () => {
    const position = { detectedAt: new Date('2026-03-01T10:00:00.123Z'), sequence: 987_654_321 };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it('reject anything else', () => {
    for (const cursor of ['', 'abc', Buffer.from('1.2.3').toString('base64url'), Buffer.from('x.1').toString('base64url')]) {
      expect(decodeCursor(cursor), cursor).toBeUndefined();
    }
  });
});
