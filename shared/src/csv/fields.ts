/**
 * Field parsers that read a range of a chunk's text by character codes, without slicing it: the
 * reader calls them for every field of 1.75 M rows.
 */
export const CHAR_0 = 48;
export const MINUS = 45;

/** Digits of `text` from `start` to `end` as a number, or -1 if the range is empty or holds a non-digit. */
export function digitsAt(text: string, start: number, end: number): number {
  if (end <= start) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - CHAR_0;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/** Start of UTC days by YYYYMMDD, remembering the last day asked (rows come sorted, days in runs). */
export class DayStarts {
  private lastKey = -1;
  private lastMs = Number.NaN;
  private readonly known = new Map<number, number>();

  /** Epoch ms of the day's start, or NaN if there is no such date. */
  get(year: number, month: number, day: number): number {
    const key = year * 10_000 + month * 100 + day;
    if (key === this.lastKey) return this.lastMs;
    let ms = this.known.get(key);
    if (ms === undefined) {
      ms = Date.UTC(year, month - 1, day);
      const check = new Date(ms);
      if (month < 1 || day < 1 || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) ms = Number.NaN;
      this.known.set(key, ms);
    }
    this.lastKey = key;
    this.lastMs = ms;
    return ms;
  }
}

/** `YYYY-MM-DD HH:MM:SS` (a `T` is accepted too) at `start` of `text`, as UTC epoch milliseconds, or NaN. */
export function parseDatetime(days: DayStarts, text: string, start: number, end: number): number {
  if (end - start !== 19) return Number.NaN;
  const separator = text.charCodeAt(start + 10);
  if (
    text.charCodeAt(start + 4) !== 45 ||
    text.charCodeAt(start + 7) !== 45 ||
    text.charCodeAt(start + 13) !== 58 ||
    text.charCodeAt(start + 16) !== 58 ||
    (separator !== 32 && separator !== 84)
  ) {
    return Number.NaN;
  }
  const year = digitsAt(text, start, start + 4);
  const month = digitsAt(text, start + 5, start + 7);
  const day = digitsAt(text, start + 8, start + 10);
  const hours = digitsAt(text, start + 11, start + 13);
  const minutes = digitsAt(text, start + 14, start + 16);
  const seconds = digitsAt(text, start + 17, start + 19);
  if (year < 0 || month < 0 || day < 0 || hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) {
    return Number.NaN;
  }
  return days.get(year, month, day) + ((hours * 60 + minutes) * 60 + seconds) * 1000;
}

/**
 * An amount in cents: `12`, `12.3` and `12.34` by digits; anything else (more decimals, exponents)
 * through Number and rounded to cents. NaN when it is not a number.
 */
export function parseCents(text: string, start: number, end: number): number {
  const dot = text.indexOf('.', start);
  const intEnd = dot === -1 || dot >= end ? end : dot;
  const whole = digitsAt(text, start, intEnd);
  const decimals = end - intEnd - 1;
  if (whole >= 0 && whole < 1e13) {
    if (intEnd === end) return whole * 100;
    if (decimals === 2) {
      const fraction = digitsAt(text, intEnd + 1, end);
      if (fraction >= 0) return whole * 100 + fraction;
    } else if (decimals === 1) {
      const fraction = digitsAt(text, intEnd + 1, end);
      if (fraction >= 0) return whole * 100 + fraction * 10;
    }
  }
  if (end <= start) return Number.NaN;
  const value = Number(text.slice(start, end));
  return Number.isFinite(value) ? Math.round(value * 100) : Number.NaN;
}
