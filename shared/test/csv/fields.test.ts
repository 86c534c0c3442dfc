import { describe, expect, it } from 'vitest';
import { DayStarts, digitsAt, parseCents, parseDatetime } from '../../src/csv/fields.js';

/** Parses all of `text` with a field parser that reads a range. */
const whole = <T>(parse: (text: string, start: number, end: number) => T, text: string): T => parse(`,${text},`, 1, text.length + 1);

describe('digitsAt', () => {
  it('reads digits only, and -1 for an empty range or any other character', () => {
    expect(whole(digitsAt, '0')).toBe(0);
    expect(whole(digitsAt, '00420')).toBe(420);
    expect(whole(digitsAt, '')).toBe(-1);
    expect(whole(digitsAt, '4x')).toBe(-1);
    expect(whole(digitsAt, '-4')).toBe(-1);
    expect(whole(digitsAt, '4.0')).toBe(-1);
  });
});

describe('parseDatetime', () => {
  const parse = (text: string): number => whole((t, s, e) => parseDatetime(new DayStarts(), t, s, e), text);

  it('reads a UTC date and time with a space or a T', () => {
    expect(parse('2018-04-01 00:00:31')).toBe(Date.UTC(2018, 3, 1, 0, 0, 31));
    expect(parse('2018-04-01T23:59:59')).toBe(Date.UTC(2018, 3, 1, 23, 59, 59));
    expect(parse('2020-02-29 12:00:00')).toBe(Date.UTC(2020, 1, 29, 12));
  });

  it('refuses dates that do not exist, times out of range and other layouts', () => {
    for (const text of ['2018-02-30 00:00:00', '2019-02-29 00:00:00', '2018-00-01 00:00:00', '2018-04-00 00:00:00', '2018-13-01 00:00:00',
      '2018-04-01 24:00:00', '2018-04-01 00:60:00', '2018-04-01 00:00:60', '2018-04-01 00:00', '2018/04/01 00:00:00', '2018-04-01_00:00:00',
      '2018-04-01 00:00:0x', '2018-04-01 00:00:00Z']) {
      expect(parse(text), text).toBeNaN();
    }
  });

  it('remembers days without mixing them up', () => {
    const days = new DayStarts();
    expect(days.get(2018, 4, 1)).toBe(Date.UTC(2018, 3, 1));
    expect(days.get(2018, 4, 2)).toBe(Date.UTC(2018, 3, 2));
    expect(days.get(2018, 4, 1)).toBe(Date.UTC(2018, 3, 1));
    expect(days.get(2018, 2, 30)).toBeNaN();
    expect(days.get(2018, 2, 30)).toBeNaN();
  });
});

describe('parseCents', () => {
  it('reads whole amounts and one or two decimals by digits', () => {
    expect(whole(parseCents, '12')).toBe(1200);
    expect(whole(parseCents, '12.3')).toBe(1230);
    expect(whole(parseCents, '12.34')).toBe(1234);
    expect(whole(parseCents, '0.07')).toBe(7);
  });

  it('reads any other number through Number, rounded to cents, and NaN for what is not one', () => {
    expect(whole(parseCents, '12.345')).toBe(1235);
    expect(whole(parseCents, '1e2')).toBe(10_000);
    expect(whole(parseCents, '.5')).toBe(50);
    expect(whole(parseCents, '-3')).toBe(-300);
    expect(whole(parseCents, '')).toBeNaN();
    expect(whole(parseCents, 'abc')).toBeNaN();
    expect(whole(parseCents, 'Infinity')).toBeNaN();
  });
});
