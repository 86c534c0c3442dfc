import type { AlertFilters, StoredAlert } from '../schemas.js';
import type { AlertRow } from '../store/alert-store.js';

/** A row the feed read, with its `json` parsed once for every stream that filters it. */
export interface ParsedAlertRow {
  row: AlertRow;
  alert: StoredAlert;
}

/** A point in time as PostgreSQL keeps it: whole milliseconds plus the microseconds (0–999) past them. */
interface Instant {
  ms: number;
  micros: number;
}

const fraction = /\.(\d+)(?=(?:z|[+-]\d{2}(?::?\d{2})?)?$)/i;

/** Rounds half to even, as PostgreSQL's `rint` does when it reads fractional seconds. */
function roundHalfEven(value: number): number {
  const rounded = Math.round(value);
  return Math.abs(value % 1) === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** `text::timestamptz` as PostgreSQL reads an ISO 8601 timestamp: to the microsecond (JS Dates stop at the millisecond). */
function parseInstant(iso: string): Instant {
  const digits = fraction.exec(iso)?.[1];
  const wholeSeconds = Date.parse(digits === undefined ? iso : iso.replace(fraction, ''));
  const micros = digits === undefined ? 0 : roundHalfEven(Number(`0.${digits}`) * 1e6);
  return { ms: wholeSeconds + Math.floor(micros / 1000), micros: micros % 1000 };
}

/**
 * The stream's filters as a predicate on a stored alert: the same conditions as the store's SQL
 * (`filterConditions` in alert-store.ts), on the same values. Card, terminal, status and score come
 * from the stored JSON (which PostgreSQL builds from the same row); the detection time from the row's
 * `detectedAtMs`, which is the `detected_at` column (whole milliseconds), compared to the bounds at
 * PostgreSQL's microsecond precision. `undefined` when no filter is set: every alert matches.
 */
export function alertMatcher(filters: AlertFilters): ((candidate: ParsedAlertRow) => boolean) | undefined {
  const { cardId, terminalId, status, minScore } = filters;
  const since = filters.since === undefined ? undefined : parseInstant(filters.since);
  const until = filters.until === undefined ? undefined : parseInstant(filters.until);
  if ([cardId, terminalId, status, minScore, since, until].every((value) => value === undefined)) return undefined;
  return ({ row, alert }) =>
    (cardId === undefined || alert.transaction.cardId === cardId) &&
    (terminalId === undefined || alert.transaction.terminalId === terminalId) &&
    (status === undefined || alert.status === status) &&
    (minScore === undefined || alert.score >= minScore) &&
    // detected_at >= since: a detection time in whole ms is at or after since when its ms are later,
    // or equal with since having no microseconds beyond them.
    (since === undefined || row.detectedAtMs > since.ms || (row.detectedAtMs === since.ms && since.micros === 0)) &&
    (until === undefined || row.detectedAtMs < until.ms || (row.detectedAtMs === until.ms && until.micros > 0));
}
