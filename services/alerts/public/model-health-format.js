// @ts-check
/**
 * The Model health page's pure helpers: chart columns, the mature/provisional split, the order and
 * colours of the drift figures, and their text. No DOM here, so test/public/model-health-format.test.ts
 * runs them in Node.
 */

import { formatCount, formatPrecision } from './format.js';

/** @import { DriftStatus, FeatureDrift, ModelHealth, ModelHealthDay, RuleDayQuality, ScoreHistogram } from './types.js' */

export const DAY_S = 86_400;
export const DAY_CHOICES = /** @type {const} */ ([7, 14, 30, 60]);
export const DEFAULT_DAYS = 30;
export const EMPTY_TEXT = 'No scored payments yet — the detectors publish them to fraud.scores.';

/** @typedef {'precision' | 'recall' | 'cardPrecisionAt100'} Metric */
/** @typedef {'champion' | 'challenger'} Role */

/** @type {Readonly<Record<Metric, string>>} */
export const METRIC_NAMES = { precision: 'Precision', recall: 'Recall', cardPrecisionAt100: 'Card precision@100' };

/** The `days` of a page's query string when it is one of the choices, else the default. @param {string} search */
export function daysFrom(search) {
  const days = Number(new URLSearchParams(search).get('days'));
  return DAY_CHOICES.find((choice) => choice === days) ?? DEFAULT_DAYS;
}

/** A ratio as a percentage with one decimal, '–' for none. */
export const formatRatio = formatPrecision;

/** @param {number | null} psi */
export function formatPsi(psi) {
  if (psi === null) return '–';
  if (psi > 0 && psi < 0.001) return '<0.001';
  return psi >= 10 ? psi.toFixed(1) : psi.toFixed(3);
}

/** A share of scores on the log axis: `10%`, `1%`, `0.1%`, `0.01%`. @param {number} share */
export function formatShare(share) {
  const percent = share * 100;
  if (percent === 0) return '0%';
  return `${Number(percent.toPrecision(2))}%`;
}

/** An instant as `2018-06-01 10:00 UTC`; the store's clock is the payments' event time, so no local time. @param {string | null} iso */
export const formatUtc = (iso) => (iso === null ? '–' : `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`);

/** @param {string} day YYYY-MM-DD @returns {number} its UTC midnight in Unix seconds */
export const dayTime = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;

/** @param {number} time Unix seconds @returns {string} YYYY-MM-DD (UTC) */
export const dayOf = (time) => new Date(time * 1000).toISOString().slice(0, 10);

const axisDayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** A day on a chart's axis, `May 1` in the browser's language. @param {number} time Unix seconds */
export const formatAxisDay = (time) => axisDayFormat.format(new Date(time * 1000));

/** @param {number} labelDelayDays */
export const provisionalNote = (labelDelayDays) => `provisional until labels mature (${labelDelayDays} day${labelDelayDays === 1 ? '' : 's'})`;

/**
 * @typedef {object} DayFigures one model's figures on one day, over every version that scored that day
 * @property {string} day
 * @property {string[]} modelVersions
 * @property {number} payments
 * @property {number} alerts
 * @property {number} frauds
 * @property {number} truePositives
 * @property {number | null} precision
 * @property {number | null} recall
 * @property {number | null} cardPrecisionAt100
 * @property {boolean} mature
 */

/**
 * The entries of one model by day. A day two versions scored is counted as one: precision and recall
 * again from the summed counts; card precision@100 ranks each version's cards apart, so it cannot be
 * redone from counts and is the versions' mean weighted by payments.
 * @param {ModelHealthDay[]} entries
 * @returns {Map<string, DayFigures>}
 */
export function figuresByDay(entries) {
  /** @type {Map<string, ModelHealthDay[]>} */
  const grouped = new Map();
  for (const entry of entries) grouped.set(entry.day, [...(grouped.get(entry.day) ?? []), entry]);
  /** @type {Map<string, DayFigures>} */
  const byDay = new Map();
  for (const [day, group] of grouped) {
    const [only] = group;
    if (only && group.length === 1) {
      byDay.set(day, { ...only, modelVersions: [only.modelVersion] });
      continue;
    }
    const sum = (/** @type {(entry: ModelHealthDay) => number} */ of) => group.reduce((total, entry) => total + of(entry), 0);
    const payments = sum((entry) => entry.payments);
    const alerts = sum((entry) => entry.alerts);
    const frauds = sum((entry) => entry.frauds);
    const truePositives = sum((entry) => entry.truePositives);
    const ranked = group.filter((entry) => entry.cardPrecisionAt100 !== null && entry.payments > 0);
    const rankedPayments = ranked.reduce((total, entry) => total + entry.payments, 0);
    byDay.set(day, {
      day,
      modelVersions: [...new Set(group.map((entry) => entry.modelVersion))],
      payments,
      alerts,
      frauds,
      truePositives,
      precision: alerts > 0 ? truePositives / alerts : null,
      recall: frauds > 0 ? truePositives / frauds : null,
      cardPrecisionAt100: rankedPayments > 0 ? ranked.reduce((total, entry) => total + (entry.cardPrecisionAt100 ?? 0) * entry.payments, 0) / rankedPayments : null,
      mature: group.every((entry) => entry.mature),
    });
  }
  return byDay;
}

/**
 * Every day from the first to the last of `days`, so that a day without figures is a gap on the charts.
 * @param {string[]} days YYYY-MM-DD, in any order
 */
export function dayRange(days) {
  if (days.length === 0) return [];
  const times = days.map(dayTime);
  const first = Math.min(...times);
  const last = Math.max(...times);
  return Array.from({ length: Math.round((last - first) / DAY_S) + 1 }, (_, index) => dayOf(first + index * DAY_S));
}

/**
 * A series split in two: `solid` holds the mature days, `provisional` the others and the mature days
 * next to one, so that the line into a provisional day is drawn as the provisional one.
 * @param {(number | null)[]} values
 * @param {(boolean | null)[]} mature null where the day has no figures
 */
export function splitByMaturity(values, mature) {
  return {
    solid: values.map((value, index) => (mature[index] === true ? value : null)),
    provisional: values.map((value, index) => (mature[index] === false || mature[index - 1] === false || mature[index + 1] === false ? value : null)),
  };
}

/** The indices of the values with no value either side: a line does not show them, so they need a point. @param {(number | null)[]} values */
export function isolatedIndices(values) {
  return values.flatMap((value, index) => (value !== null && (values[index - 1] ?? null) === null && (values[index + 1] ?? null) === null ? [index] : []));
}

/**
 * @typedef {object} ModelSeries one model's line on one chart
 * @property {(number | null)[]} solid
 * @property {(number | null)[]} provisional
 * @property {number[]} provisionalIndices the days drawn as hollow points
 */

/**
 * @typedef {object} QualityFrame what the three quality charts share: the days and both models' figures on them
 * @property {string[]} days
 * @property {number[]} times the days' UTC midnights, Unix seconds
 * @property {(DayFigures | null)[]} champion
 * @property {(DayFigures | null)[] | null} challenger null when no challenger ran
 */

/** @param {ModelHealth} health @returns {QualityFrame} */
export function qualityFrame(health) {
  const champion = figuresByDay(health.days);
  const challenger = health.challenger ? figuresByDay(health.challenger) : null;
  const days = dayRange([...champion.keys(), ...(challenger?.keys() ?? [])]);
  return {
    days,
    times: days.map(dayTime),
    champion: days.map((day) => champion.get(day) ?? null),
    challenger: challenger ? days.map((day) => challenger.get(day) ?? null) : null,
  };
}

/**
 * @param {(DayFigures | null)[]} figures
 * @param {Metric} metric
 * @returns {ModelSeries}
 */
export function modelSeries(figures, metric) {
  const values = figures.map((day) => day?.[metric] ?? null);
  const mature = figures.map((day) => day?.mature ?? null);
  return {
    ...splitByMaturity(values, mature),
    provisionalIndices: figures.flatMap((day, index) => (day && !day.mature && day[metric] !== null ? [index] : [])),
  };
}

/**
 * @typedef {object} VersionChange
 * @property {string} day the first day the version scored
 * @property {number} time
 * @property {string} modelVersion
 */

/**
 * The days a model's version changed (not its first): on a changeover day the new version is the one
 * the previous days did not have, so a rollback to an older version is a change too.
 * @param {ModelHealthDay[]} entries
 * @returns {VersionChange[]}
 */
export function versionChanges(entries) {
  const byDay = [...figuresByDay(entries).values()].sort((a, b) => a.day.localeCompare(b.day));
  /** @type {VersionChange[]} */
  const changes = [];
  /** @type {string | undefined} */
  let current;
  byDay.forEach((figures, index) => {
    const others = figures.modelVersions.filter((version) => version !== current);
    if (others.length === 0) return;
    const next = byDay[index + 1]?.modelVersions ?? [];
    const version = others.find((other) => next.includes(other)) ?? others.at(-1) ?? '';
    if (current !== undefined) changes.push({ day: figures.day, time: dayTime(figures.day), modelVersion: version });
    current = version;
  });
  return changes;
}

/**
 * A version short enough to label a chart with: its start and its end (where a hash is), cut in the middle.
 * @param {string} version
 * @param {number} [max]
 */
export function shortVersion(version, max = 20) {
  if (version.length <= max) return version;
  const tail = Math.floor((max - 1) / 2);
  return `${version.slice(0, max - 1 - tail)}…${version.slice(-tail)}`;
}

/** The versions of a model in the period, in the order they first scored. @param {ModelHealthDay[]} entries */
export const versionsOf = (entries) => [...new Set(entries.map((entry) => entry.modelVersion))];

/**
 * @typedef {object} MetricPoint a quality chart's figures on one day
 * @property {string} day YYYY-MM-DD
 * @property {number} time
 * @property {string} champion
 * @property {string | null} challenger null when no challenger ran
 * @property {boolean} provisional
 */

/**
 * The day under a quality chart's cursor (else the latest the champion has figures for) with both
 * models' figure; null when there are no days.
 * @param {QualityFrame} frame
 * @param {Metric} metric
 * @param {number | null} index the cursor's day; null for the latest
 * @returns {MetricPoint | null}
 */
export function metricPoint(frame, metric, index) {
  const at = index ?? frame.champion.findLastIndex((day) => day !== null);
  const day = frame.days[at];
  const time = frame.times[at];
  if (day === undefined || time === undefined) return null;
  const champion = frame.champion[at] ?? null;
  return {
    day,
    time,
    champion: formatRatio(champion?.[metric] ?? null),
    challenger: frame.challenger ? formatRatio(frame.challenger[at]?.[metric] ?? null) : null,
    provisional: champion !== null && !champion.mature,
  };
}

/** What a screen reader is told a quality chart shows. @param {QualityFrame} frame @param {Metric} metric */
export function metricSummary(frame, metric) {
  const name = `${METRIC_NAMES[metric]} per day`;
  const latest = metricPoint(frame, metric, null);
  if (latest === null) return `${name}: no days yet`;
  const challenger = latest.challenger === null ? '' : `, challenger ${latest.challenger}`;
  return `${name} from ${frame.days[0]} to ${frame.days.at(-1)}; on ${latest.day}${latest.provisional ? ' (provisional)' : ''}: champion ${latest.champion}${challenger}`;
}

/**
 * The days on an axis: at most `maxTicks`, evenly spaced and counted back from the latest.
 * @param {number[]} times Unix seconds, oldest first
 * @param {number} maxTicks
 */
export function dayTicks(times, maxTicks) {
  const step = Math.max(1, Math.ceil(times.length / Math.max(1, maxTicks)));
  return times.filter((_, index) => (times.length - 1 - index) % step === 0);
}

/**
 * @typedef {ModelHealthDay & { role: Role }} DayRow
 */

/**
 * The days table's rows: newest day first, the champion's versions before the challenger's.
 * @param {ModelHealth} health
 * @returns {DayRow[]}
 */
export function dayRows(health) {
  const rows = [
    ...health.days.map((entry) => ({ ...entry, role: /** @type {Role} */ ('champion') })),
    ...(health.challenger ?? []).map((entry) => ({ ...entry, role: /** @type {Role} */ ('challenger') })),
  ];
  const roleOrder = { champion: 0, challenger: 1 };
  return rows.sort((a, b) => b.day.localeCompare(a.day) || roleOrder[a.role] - roleOrder[b.role] || a.modelVersion.localeCompare(b.modelVersion));
}

/** The tooltips of a row's precision and recall: the counts they come from. @param {ModelHealthDay} entry */
export function countsTitle(entry) {
  return {
    precision: `${formatCount(entry.truePositives)} of ${formatCount(entry.alerts)} alerts were fraud`,
    recall: `${formatCount(entry.truePositives)} of ${formatCount(entry.frauds)} frauds were alerted`,
  };
}

/** @type {Readonly<Record<DriftStatus, number>>} */
const statusRank = { alert: 0, warn: 1, ok: 2, unknown: 3 };

/** @type {Readonly<Record<DriftStatus, string>>} */
const statusColors = { ok: '--legit', warn: '--warn', alert: '--fraud', unknown: '--muted' };

/** The custom property of style.css that colours a status. @param {DriftStatus} status */
export const statusColor = (status) => statusColors[status];

/**
 * Features worst first: alert, warn, ok, then those without a PSI; by PSI within a status.
 * @param {FeatureDrift[]} features
 */
export function sortFeatures(features) {
  return [...features].sort((a, b) => statusRank[a.status] - statusRank[b.status] || (b.psi ?? -1) - (a.psi ?? -1) || a.name.localeCompare(b.name));
}

/** The PSI bars' scale reaches at least this many times the alert threshold, so that ok and warn bars are not all squeezed at the left… */
export const PSI_SCALE_MIN = 1.6;
/** …and at most this many: a larger PSI is drawn as a broken bar, so that the threshold marks keep their place. */
export const PSI_SCALE_CAP = 4;

/**
 * @typedef {FeatureDrift & { text: string, share: number, broken: boolean }} PsiBar a feature's bar:
 * `share` of the scale, `broken` when its PSI is past the scale's end (the bar is full and cut)
 */

/**
 * The PSI bars: each feature's bar as a share of the scale, and where the thresholds fall on it. The
 * scale reaches past the alert threshold, to the largest PSI but no further than PSI_SCALE_CAP times
 * the alert threshold: a drift far past it (PSI 2 against an alert at 0.25) would otherwise push both
 * marks against the left edge.
 * @param {FeatureDrift[]} features
 * @param {{ warn: number, alert: number }} thresholds
 * @returns {{ max: number, marks: { warn: number, alert: number }, rows: PsiBar[] }}
 */
export function psiBars(features, thresholds) {
  const largest = Math.max(0, ...features.map((feature) => feature.psi ?? 0));
  const cap = thresholds.alert * PSI_SCALE_CAP;
  const max = Math.max(thresholds.alert * PSI_SCALE_MIN, Math.min(largest, cap)) || 1;
  const share = (/** @type {number} */ psi) => Math.min(1, Math.max(0, psi / max));
  return {
    max,
    marks: { warn: share(thresholds.warn), alert: share(thresholds.alert) },
    rows: sortFeatures(features).map((feature) => ({
      ...feature,
      text: formatPsi(feature.psi),
      share: feature.psi === null ? 0 : share(feature.psi),
      broken: feature.psi !== null && feature.psi > max,
    })),
  };
}

/** The width of a character of the scale labels (10px monospace) and the room kept between two labels, in px. */
const SCALE_CHAR_PX = 6.2;
const SCALE_LABEL_GAP_PX = 6;
/** Two labels centred on marks closer than this always collide. */
export const SCALE_MIN_GAP_PX = 28;

/**
 * Whether the threshold labels above the PSI bars go on two rows: they are centred on their marks, so
 * they collide when the marks are closer than half of each label plus a gap (28 px at least) — with a
 * narrow column, thresholds close together, or a scale much wider than them.
 * @param {{ warn: number, alert: number }} marks shares of the scale, from psiBars
 * @param {{ warn: string, alert: string }} labels
 * @param {number} widthPx the scale's width; 0 (not laid out) stacks them
 */
export function stackScaleLabels(marks, labels, widthPx) {
  const needed = Math.max(SCALE_MIN_GAP_PX, ((labels.warn.length + labels.alert.length) / 2) * SCALE_CHAR_PX + SCALE_LABEL_GAP_PX);
  return Math.abs(marks.alert - marks.warn) * widthPx < needed;
}

/** A feature name that may break after its underscores. @param {string} name */
export const nameParts = (name) => name.split(/(?<=_)/);

/**
 * uPlot's columns of the score histogram as steps: the bins' left edges and the last edge, each
 * share held to the next edge (so the last share is repeated); a zero share is null, which a log
 * axis cannot show.
 * @param {ScoreHistogram} histogram
 * @returns {[number[], (number | null)[], (number | null)[]]}
 */
export function histogramColumns(histogram) {
  const steps = (/** @type {number[]} */ shares) => {
    const values = shares.map((share) => (share > 0 ? share : null));
    return [...values, values.at(-1) ?? null];
  };
  return [histogram.edges, steps(histogram.recent), steps(histogram.reference)];
}

/**
 * The log axis' range for shares: from the power of ten at or below the smallest share above 0
 * (0.1 at most, so that a decade always shows) to 1.
 * @param {number[][]} series
 * @returns {[number, number]}
 */
export function logRange(series) {
  const shown = series.flat().filter((share) => share > 0);
  const min = shown.length ? Math.min(...shown) : 0.1;
  return [10 ** Math.min(-1, Math.floor(Math.log10(min))), 1];
}

/** The bin of `edges` that holds `score`; the last bin holds 1 too, and -1 is none. @param {number[]} edges @param {number} score */
export function binIndex(edges, score) {
  const bins = edges.length - 1;
  if (bins < 1 || !(score >= (edges[0] ?? 0) && score <= (edges[bins] ?? 1))) return -1;
  const index = edges.findLastIndex((edge) => edge <= score);
  return Math.min(index, bins - 1);
}

/** The powers of ten from `min` to `max`. @param {number} min @param {number} max */
export function logTicks(min, max) {
  const ticks = [];
  for (let exponent = Math.round(Math.log10(min)); exponent <= Math.round(Math.log10(max)); exponent += 1) ticks.push(10 ** exponent);
  return ticks;
}

/**
 * The readout above the score chart: the bin under the cursor with both shares.
 * @param {ScoreHistogram} histogram
 * @param {number | null} index null or -1 when the cursor is on no bin
 */
export function binReadout(histogram, index) {
  const from = index === null ? undefined : histogram.edges[index];
  const to = index === null ? undefined : histogram.edges[index + 1];
  if (index === null || from === undefined || to === undefined) return 'share of scores per bin · log scale';
  const share = (/** @type {number | undefined} */ value) => (value === undefined ? '–' : formatShare(value));
  return `scores ${from.toFixed(2)}–${to.toFixed(2)} · recent ${share(histogram.recent[index])} · reference ${share(histogram.reference[index])}`;
}

/** The line under the drift heading: which payments were compared with what. @param {ModelHealth['drift']} drift */
export function driftSummary(drift) {
  if (drift.from === null || drift.to === null || drift.payments === 0) return `No payments in the period to compare with ${drift.reference}.`;
  return `${formatCount(drift.payments)} payments from ${formatUtc(drift.from)} to ${formatUtc(drift.to)} against ${drift.reference}.`;
}

/** @param {{ warn: number, alert: number }} thresholds */
export const thresholdsText = (thresholds) => `thresholds: warn ${thresholds.warn} · alert ${thresholds.alert}`;

/** The period's payments: the champion scored every one. @param {ModelHealth} health */
export const paymentsOf = (health) => health.days.reduce((total, entry) => total + entry.payments, 0);

/**
 * @typedef {object} RuleDayBar a rule's hits on one day of the period
 * @property {string} day YYYY-MM-DD
 * @property {number} hits 0 on a day it did not match
 * @property {boolean | null} mature null on a day it did not match
 */

/**
 * @typedef {object} RuleRow one active rule over the period
 * @property {string} ruleId
 * @property {number} hits
 * @property {number} truePositives
 * @property {number} matureHits the hits on mature days, whose labels are all in
 * @property {number} matureTruePositives
 * @property {number} provisionalHits the hits on provisional days
 * @property {number | null} maturePrecision over the mature days; null without a hit on one
 * @property {number | null} precision over every day; null without hits
 * @property {boolean} provisional whether `precision` counts provisional days: it may still grow
 * @property {RuleDayBar[]} perDay every day of the period, oldest first
 */

/**
 * The rules table's rows: each rule's days summed (precision again from the counts), apart over its
 * mature days and over them all; the rules with the most hits first.
 * @param {ModelHealth} health
 * @returns {RuleRow[]}
 */
export function ruleRows(health) {
  const days = dayRange([...health.days.map((entry) => entry.day), ...health.rules.map((entry) => entry.day)]);
  /** @type {Map<string, RuleDayQuality[]>} */
  const byRule = new Map();
  for (const entry of health.rules) byRule.set(entry.ruleId, [...(byRule.get(entry.ruleId) ?? []), entry]);
  const ratio = (/** @type {number} */ part, /** @type {number} */ whole) => (whole > 0 ? part / whole : null);
  const rows = [...byRule].map(([ruleId, entries]) => {
    const sum = (/** @type {RuleDayQuality[]} */ of, /** @type {'hits' | 'truePositives'} */ key) => of.reduce((total, entry) => total + entry[key], 0);
    const mature = entries.filter((entry) => entry.mature);
    const hits = sum(entries, 'hits');
    const truePositives = sum(entries, 'truePositives');
    const matureHits = sum(mature, 'hits');
    const matureTruePositives = sum(mature, 'truePositives');
    /** @type {Map<string, RuleDayBar>} */
    const perDay = new Map(days.map((day) => [day, { day, hits: 0, mature: null }]));
    for (const entry of entries) {
      const bar = perDay.get(entry.day) ?? { day: entry.day, hits: 0, mature: null };
      perDay.set(entry.day, { day: entry.day, hits: bar.hits + entry.hits, mature: bar.mature === false ? false : entry.mature });
    }
    return {
      ruleId,
      hits,
      truePositives,
      matureHits,
      matureTruePositives,
      provisionalHits: hits - matureHits,
      maturePrecision: ratio(matureTruePositives, matureHits),
      precision: ratio(truePositives, hits),
      provisional: hits > matureHits,
      perDay: [...perDay.values()].sort((a, b) => a.day.localeCompare(b.day)),
    };
  });
  return rows.sort((a, b) => b.hits - a.hits || a.ruleId.localeCompare(b.ruleId));
}

/** The tooltips of a rule's row: the counts its precisions come from, and its busiest day. @param {RuleRow} row */
export function ruleTitles(row) {
  const busiest = row.perDay.reduce((top, bar) => (bar.hits > top.hits ? bar : top), { day: '', hits: 0, mature: null });
  const first = row.perDay[0]?.day;
  const last = row.perDay.at(-1)?.day;
  return {
    maturePrecision:
      row.matureHits > 0 ? `${formatCount(row.matureTruePositives)} of ${formatCount(row.matureHits)} hits on mature days were fraud` : 'no hit on a mature day yet: its labels are not all in',
    precision: `${formatCount(row.truePositives)} of ${formatCount(row.hits)} hits were fraud${
      row.provisional ? `; ${formatCount(row.provisionalHits)} of the hits are on provisional days, whose frauds are not all labelled yet` : ''
    }`,
    perDay: `${row.ruleId}: hits per day from ${first ?? '–'} to ${last ?? '–'}${busiest.hits > 0 ? `, at most ${formatCount(busiest.hits)} on ${busiest.day}` : ''}`,
  };
}

/** The rules table's empty state. */
export const RULES_EMPTY_TEXT = 'No active rule matched in the period.';
