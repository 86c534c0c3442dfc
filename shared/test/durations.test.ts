import { describe, expect, it } from 'vitest';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, utcDayStart } from '../src/durations.js';

describe('durations', () => {
  it('are milliseconds', () => {
    expect(SECOND_MS).toBe(1_000);
    expect(MINUTE_MS).toBe(60_000);
    expect(HOUR_MS).toBe(3_600_000);
    expect(DAY_MS).toBe(86_400_000);
  });
});

describe('utcDayStart', () => {
  it('gives the UTC midnight of the day, whatever the time of day', () => {
    const midnight = Date.UTC(2018, 3, 1);
    expect(utcDayStart(midnight)).toBe(midnight);
    expect(utcDayStart(midnight + 1)).toBe(midnight);
    expect(utcDayStart(Date.UTC(2018, 3, 1, 23, 59, 59, 999))).toBe(midnight);
    expect(utcDayStart(Date.UTC(2018, 3, 2))).toBe(Date.UTC(2018, 3, 2));
  });

  it('rounds down, not towards zero, before 1970', () => {
    expect(utcDayStart(0)).toBe(0);
    expect(utcDayStart(-1)).toBe(-DAY_MS);
    expect(utcDayStart(Date.UTC(1969, 11, 31, 12))).toBe(Date.UTC(1969, 11, 31));
  });

  it('ignores leap days and the end of the month', () => {
    expect(utcDayStart(Date.UTC(2020, 1, 29, 6))).toBe(Date.UTC(2020, 1, 29));
    expect(utcDayStart(Date.UTC(2020, 11, 31, 23, 30))).toBe(Date.UTC(2020, 11, 31));
  });
});
