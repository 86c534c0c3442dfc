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

/** Words for the parts of the model's feature names (shared/src/features/names.ts); '' drops a part. */
const FEATURE_NAME_WORDS = new Map([
  ['CUSTOMER', 'card'],
  ['TERMINAL', 'terminal'],
  ['ID', ''],
  ['TX', 'payment'],
  ['NB', 'number of'],
  ['AVG', 'average'],
  ['WINDOW', ''],
]);

/**
 * A feature's name in words, for reasons the detector sent without their own (alerts written before
 * the feature catalogue): `TERMINAL_ID_RISK_7DAY_WINDOW` → `Terminal risk 7-day`, `txCount24h` →
 * `Tx Count 24h`.
 * @param {string} name
 */
export function formatFeature(name) {
  if (/^[A-Z0-9_]+$/.test(name)) {
    const words = name
      .replace(/(^|_)NB_TX(?=_|$)/g, '$1PAYMENTS')
      .split('_')
      .map((part) => FEATURE_NAME_WORDS.get(part) ?? part.replace(/^(\d+)DAY$/, '$1-day').toLowerCase())
      .filter((word) => word !== '');
    return words.join(' ').replace(/^./, (c) => c.toUpperCase());
  }
  return name.replace(/([a-z])([A-Z0-9])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
}

/** A feature value: whole above 1,000, two decimals below unless it is whole. @param {number} value */
export function formatValue(value) {
  if (Math.abs(value) >= 1000) return countFormat.format(Math.round(value));
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** @typedef {Reason & { text?: string }} WordedReason a reason, with its words from the feature catalogue (alerts since it) */

/**
 * The reasons worth showing: those that raised the score (the detector sends no others now; older
 * alerts may hold some that did not), in the detector's order.
 * @template {Reason} R
 * @param {readonly R[]} reasons
 * @returns {R[]}
 */
export const shownReasons = (reasons) => reasons.filter((reason) => reason.contribution > 0);

/** How much a reason raised the score: `+0.31`. @param {number} contribution */
export const formatContribution = (contribution) => (contribution < 0.005 ? '+<0.01' : `+${contribution.toFixed(2)}`);

/**
 * A reason as the table shows it: its words when the detector sent them, else the feature's name
 * (`label`) and its value against the typical one; the words' closing "(typical …)" apart, as
 * `typical`, so that it wraps whole and reads as an aside; how much it raised the score; the raw
 * figures for the tooltip.
 * @param {WordedReason} reason
 * @returns {{ label: string | null, text: string, typical: string | null, size: string, title: string }}
 */
export function describeReason(reason) {
  const values = `${formatValue(reason.value)} vs ${formatValue(reason.typical)}`;
  const aside = reason.text === undefined ? null : / \((typical [^()]+)\)$/.exec(reason.text);
  return {
    label: reason.text ? null : formatFeature(reason.feature),
    text: aside ? (reason.text ?? '').slice(0, aside.index) : (reason.text ?? values),
    typical: aside ? `(${aside[1]})` : null,
    size: formatContribution(reason.contribution),
    title: `${reason.feature} ${formatValue(reason.value)} (typical ${formatValue(reason.typical)}) · raised the score by ${reason.contribution.toFixed(3)}`,
  };
}

/**
 * A time as the table shows it: the clock time, with the date only when it is not today.
 * @param {string} time ISO 8601
 * @param {Date} now
 * @returns {{ iso: string, date: string | null, time: string }}
 */
export function describeTime(time, now) {
  const at = new Date(time);
  const today = now.toDateString() === at.toDateString();
  return {
    iso: at.toISOString(),
    date: today ? null : at.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }),
    time: at.toLocaleTimeString(undefined, { hour12: false }),
  };
}

/**
 * The Time cell's tooltip: when the payment was made (its own timestamp, the one shown) and when it was flagged.
 * @param {string} paidAt ISO 8601
 * @param {string} detectedAt ISO 8601
 */
export const timeTitle = (paidAt, detectedAt) => `payment ${new Date(paidAt).toISOString()} · detected ${new Date(detectedAt).toISOString()}`;

/** @typedef {{ timestamp?: string, channel?: string, merchantCategory?: string, maskedPan?: string }} PaymentDetails what an alert's payment may say beyond card, terminal and amount */

/** The channels the simulator sends (shared/src/events.ts KNOWN_CHANNELS), as an analyst says them. */
const CHANNELS = new Map([
  ['pos', 'in store'],
  ['contactless', 'contactless'],
  ['ecommerce', 'online'],
  ['moto', 'mail/phone order'],
  ['atm', 'ATM'],
  ['recurring', 'recurring'],
]);

/** ISO 18245 merchant categories: the simulator's, and a few common others. */
const MERCHANT_CATEGORIES = new Map([
  ['4111', 'transport'],
  ['4121', 'taxi'],
  ['4722', 'travel agency'],
  ['4816', 'online services'],
  ['5311', 'department store'],
  ['5411', 'grocery'],
  ['5541', 'fuel'],
  ['5651', 'clothing'],
  ['5732', 'electronics'],
  ['5812', 'restaurant'],
  ['5814', 'fast food'],
  ['5815', 'digital goods'],
  ['5912', 'pharmacy'],
  ['5942', 'books'],
  ['5964', 'mail order'],
  ['5999', 'retail'],
  ['6011', 'cash (ATM)'],
  ['7011', 'hotel'],
  ['7995', 'gambling'],
]);

/**
 * A payment's channel, merchant category and masked card number as the table's second lines show
 * them; null where the payment does not say.
 * @param {PaymentDetails} payment
 * @returns {{ channel: string | null, category: string | null, categoryTitle: string | null, pan: string | null }}
 */
export function describePayment(payment) {
  const mcc = payment.merchantCategory;
  const named = mcc === undefined ? undefined : MERCHANT_CATEGORIES.get(mcc);
  return {
    channel: payment.channel === undefined ? null : (CHANNELS.get(payment.channel) ?? payment.channel),
    category: mcc === undefined ? null : named ? `${mcc} ${named}` : `MCC ${mcc}`,
    categoryTitle: mcc === undefined ? null : `merchant category ${mcc}${named ? ` (${named})` : ''}`,
    pan: payment.maskedPan ?? null,
  };
}

/**
 * What the token dialog says: which token, and where `npm start` keeps it.
 * @param {'api' | 'read'} kind
 * @returns {{ title: string, help: string }}
 */
export function tokenPrompt(kind) {
  return kind === 'api'
    ? {
        title: 'API token',
        help: "Marking alerts needs the analysts' token, the service's ALERTS_API_TOKEN: npm start prints it and keeps it in .fraudstream/alerts-api-token. It is kept in this browser tab only.",
      }
    : {
        title: 'Read token',
        help: 'This service protects reads: enter its ALERTS_READ_TOKEN, set where the alerts service was started. It is kept in this browser tab only.',
      };
}

/** What the token dialog says first when it opens again because the service refused the token entered. */
export const TOKEN_REFUSED = 'The service refused that token: check it and enter it again.';

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
 * minute's count in a series of its own (drawn brighter); null where a series has no bar. Counts
 * above `top` are drawn at it (see `rateScale`).
 * @param {MinuteCount[]} perMinute oldest first
 * @param {number} [top]
 * @returns {[number[], (number | null)[], (number | null)[]]}
 */
export function chartColumns(perMinute, top = Infinity) {
  const last = perMinute.length - 1;
  return [
    perMinute.map((entry) => Date.parse(entry.minute) / 1000),
    perMinute.map((entry, index) => (index < last ? Math.min(entry.count, top) : null)),
    perMinute.map((entry, index) => (index === last ? Math.min(entry.count, top) : null)),
  ];
}

/** A minute may reach this many times the hour's 90th percentile before the scale stops following it. */
const RATE_CLIP_FACTOR = 2;

/**
 * The count axis of the rate chart, robust to a burst: a start-up's backfill puts hundreds of alerts
 * into one or two minutes, against a handful a minute live, and an axis up to the burst would flatten
 * the live rate to nothing. Minutes above twice the hour's 90th percentile (at least 4) are `clipped`:
 * the axis stops at `top`, they are drawn up to it, marked, with their count written on them.
 * @param {MinuteCount[]} perMinute
 * @returns {{ top: number, clipped: number[] }} `clipped`: indices into `perMinute`
 */
export function rateScale(perMinute) {
  const counts = perMinute.map((entry) => entry.count);
  const sorted = [...counts].sort((a, b) => a - b);
  const max = sorted.at(-1) ?? 0;
  const p90 = sorted[Math.ceil(sorted.length * 0.9) - 1] ?? 0;
  const limit = Math.max(4, RATE_CLIP_FACTOR * p90);
  if (max <= limit) return { top: countCeiling(max), clipped: [] };
  const top = countCeiling(limit);
  return { top, clipped: counts.flatMap((count, index) => (count > top ? [index] : [])) };
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
