import { describe, expect, it } from 'vitest';
import { parseSince } from '../../src/export/since.js';

const now = Date.parse('2026-03-01T12:00:00Z');

describe('parseSince', () => {
  it('takes a duration back from now', () => {
    expect(parseSince('30d', now)).toBe(Date.parse('2026-01-30T12:00:00Z'));
    expect(parseSince('12h', now)).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(parseSince('90m', now)).toBe(Date.parse('2026-03-01T10:30:00Z'));
    expect(parseSince('2w', now)).toBe(Date.parse('2026-02-15T12:00:00Z'));
  });

  it('takes a UTC date or a zoned timestamp', () => {
    expect(parseSince('2026-02-01', now)).toBe(Date.parse('2026-02-01T00:00:00Z'));
    expect(parseSince('2026-02-01T06:30:00+02:00', now)).toBe(Date.parse('2026-02-01T04:30:00Z'));
  });

  it('refuses anything else', () => {
    for (const text of ['30', 'd30', '30 days', '2026-02-30x', '2026-13-45', '2026-02-01T06:30:00', '']) {
      expect(parseSince(text, now), text).toBeUndefined();
    }
  });
});
