// @ts-check
/**
 * The dashboard's pure helpers: text, numbers and chart data from the API's answers. No DOM here, so
 * test/public/format.test.ts runs them in Node.
 */

/** @import { Feedback, Filters, MinuteCount, Reason, Stats } from './types.js' */

/** The browser cannot import shared/src/durations.ts; the test holds this equal to its MINUTE_MS. */
export const MINUTE_MS = 60_000;

const countFormat = new Intl.NumberFormat(undefined);
const amountFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** @param {number} value */
export const formatCount = (value) => countFormat.format(value);

/** @param {number} amount in major units */
export const formatAmount = (amount) => amountFormat.format(amount);

/**
 * @param {number} score 0..1
 * @returns {'score-high' | 'score-mid' | 'score-low'}
 */
export function scoreClass(score) {
  if (score >= 0.8) return 'score-high';
  if (score >= 0.5) return 'score-mid';
  return 'score-low';
}

/** A camelCase name in words (`txCount24h` → `Tx Count 24h`); the model's names (`TX_AMOUNT`) stay as they are. @param {string} name */
export function formatFeature(name) {
  return name.replace(/([a-z])([A-Z0-9])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
}

/** A feature value: whole above 1,000, two decimals below unless it is whole. @param {number} value */
export function formatValue(value) {
  if (Math.abs(value) >= 1000) return countFormat.format(Math.round(value));
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/**
 * A reason as the table shows it: the feature, its value against the typical one, and its
 * contribution for the tooltip.
 * @param {Reason} reason
 */
export function describeReason(reason) {
  return {
    feature: formatFeature(reason.feature),
    values: `${formatValue(reason.value)} vs ${formatValue(reason.typical)}`,
    title: `contribution ${reason.contribution.toFixed(3)}`,
  };
}

/**
 * A detection time as the table shows it: the clock time, with the date only when it is not today.
 * @param {string} detectedAt ISO 8601
 * @param {Date} now
 * @returns {{ iso: string, date: string | null, time: string }}
 */
export function describeTime(detectedAt, now) {
  const at = new Date(detectedAt);
  const today = now.toDateString() === at.toDateString();
  return {
    iso: at.toISOString(),
    date: today ? null : at.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }),
    time: at.toLocaleTimeString(undefined, { hour12: false }),
  };
}

/** @param {Feedback} feedback */
export function describeFeedback(feedback) {
  return `${feedback.label} · ${new Date(feedback.at).toLocaleString()}${feedback.note ? ` · ${feedback.note}` : ''}`;
}

/** @param {number | null} precision */
export const formatPrecision = (precision) => (precision === null ? '–' : `${(precision * 100).toFixed(1)}%`);

/** @param {Stats['modelVersions']} models */
export const modelsText = (models) => models.map((model) => model.modelVersion).join(', ') || '–';

/** @param {Stats['modelVersions']} models */
export const modelsTitle = (models) => models.map((model) => `${model.modelVersion}: ${model.alerts} alerts in 24 h`).join('\n');

/** The ISO 8601 start of the UTC minute `time` falls in: the key of `/stats`' alertsPerMinute. @param {string} time */
export const minuteOf = (time) => new Date(Math.floor(Date.parse(time) / MINUTE_MS) * MINUTE_MS).toISOString();

/**
 * `perMinute` with one more alert in the minute of `detectedAt`; null when that minute is not in it
 * (the alert is older than the window, or the stats have not loaded yet).
 * @param {MinuteCount[]} perMinute
 * @param {string} detectedAt
 * @returns {MinuteCount[] | null}
 */
export function countAlert(perMinute, detectedAt) {
  const minute = minuteOf(detectedAt);
  if (!perMinute.some((entry) => entry.minute === minute)) return null;
  return perMinute.map((entry) => (entry.minute === minute ? { minute, count: entry.count + 1 } : entry));
}

/** @param {MinuteCount[]} perMinute */
export function rateSummary(perMinute) {
  const latest = perMinute.at(-1)?.count ?? 0;
  const total = perMinute.reduce((sum, entry) => sum + entry.count, 0);
  return `${formatCount(latest)} this minute · ${formatCount(total)} in the last hour`;
}

/**
 * uPlot's columns: minute starts in Unix seconds, the earlier minutes' counts, and the current
 * minute's count in a series of its own (drawn brighter); null where a series has no bar.
 * @param {MinuteCount[]} perMinute oldest first
 * @returns {[number[], (number | null)[], (number | null)[]]}
 */
export function chartColumns(perMinute) {
  const last = perMinute.length - 1;
  return [
    perMinute.map((entry) => Date.parse(entry.minute) / 1000),
    perMinute.map((entry, index) => (index < last ? entry.count : null)),
    perMinute.map((entry, index) => (index === last ? entry.count : null)),
  ];
}

/**
 * The top of the count axis: 4 at least, else the smallest even multiple of `max`'s power of ten
 * (2, 4, 6, 8 × 10ⁿ) at or above it, so that the half-way label is round too.
 * @param {number} max
 */
export function countCeiling(max) {
  if (max <= 4) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const steps = Math.ceil(max / magnitude);
  return (steps + (steps % 2)) * magnitude;
}

/**
 * The minutes to label on the time axis, every ten back from the latest, as Unix seconds.
 * @param {number[]} minutes Unix seconds, oldest first
 */
export function minuteTicks(minutes) {
  const latest = minutes.at(-1);
  return latest === undefined ? [] : minutes.filter((minute) => Math.round((latest - minute) / 60) % 10 === 0);
}

/**
 * `now` for the latest minute, `-10m` for ten minutes before it.
 * @param {number} minute Unix seconds
 * @param {number} latest Unix seconds
 */
export function minutesAgoLabel(minute, latest) {
  const ago = Math.round((latest - minute) / 60);
  return ago === 0 ? 'now' : `-${ago}m`;
}

/**
 * The query string of the filters that are set, with the `extra` parameters that are defined after them.
 * @param {Filters} filters
 * @param {Record<string, string | undefined>} [extra]
 */
export function queryString(filters, extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filters, ...extra })) if (value !== '' && value !== undefined) params.set(key, value);
  return params.toString();
}

/** @param {Filters} filters */
export function filterSummary(filters) {
  const active = Object.entries(filters).filter(([, value]) => value !== '');
  return active.length ? `Filtered by ${active.map(([key, value]) => `${key}=${value}`).join(', ')}` : '';
}

/**
 * The filter form's fields as filters: every value trimmed.
 * @param {Iterable<[string, unknown]>} fields what `new FormData(form)` holds
 * @returns {Filters}
 */
export const filtersOf = (fields) => Object.fromEntries([...fields].map(([key, value]) => [key, String(value).trim()]));

/**
 * A rule's hits in a window as the Rules page shows them: "12", "12 · 3 errors", "–" when not counted.
 * @param {{ hits: number, errors: number } | undefined} window
 */
export function describeHits(window) {
  if (!window) return '–';
  return window.errors > 0 ? `${formatCount(window.hits)} · ${formatCount(window.errors)} error${window.errors === 1 ? '' : 's'}` : formatCount(window.hits);
}
