import {
  cardPrecisionAtK,
  driftStatus,
  FEATURE_NAMES,
  populationStabilityIndex,
  sharesOf,
  type DriftThresholds,
  type Logger,
} from '@fraudstream/shared';
import type { Metrics } from '../metrics.js';
import type { CardDay, DayCounts, ModelRole, PaymentStore, RuleDayCounts } from '../store/payments.js';
import type { DriftReference, ReferenceSource } from './reference.js';
import type { DayQuality, FeatureDrift, ModelHealth } from './schemas.js';

const DAY_MS = 86_400_000;
/** Below this many payments in the window a PSI says more about sampling than about drift. */
export const MIN_DRIFT_PAYMENTS = 200;
const SCORE_HISTOGRAM_BINS = 20;
/** The score distribution's reference: the week before the drift window. */
const SCORE_REFERENCE_MS = 7 * DAY_MS;

export interface ModelHealthSettings {
  labelDelayDays: number;
  driftWindowMs: number;
  thresholds: DriftThresholds;
}

const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);
const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

/** A day is final once the label delay has passed since it ended, in both streams' event time. */
export function matureBefore(watermarks: { payments: Date | null; chargebacks: Date | null }, labelDelayDays: number): number {
  if (watermarks.payments === null || watermarks.chargebacks === null) return Number.NEGATIVE_INFINITY;
  const known = Math.min(watermarks.payments.getTime(), watermarks.chargebacks.getTime());
  // Days ending at or before `known − delay` are mature.
  return known - labelDelayDays * DAY_MS;
}

/**
 * What stays of the days that matured: their figures are final, so they are computed once, and the
 * cards card precision@100 found on them (left out of later days) carry over to the next computation.
 */
export interface QualityCache {
  mature: DayQuality[];
  detected: Map<string, Set<string>>;
}

export const emptyQualityCache = (): QualityCache => ({ mature: [], detected: new Map() });

/**
 * Counts, card precision@100 and maturity per day and model version, for the days after the cache's
 * mature ones (`counts` and `cards` cover those days only). Days that are mature now join the cache.
 */
export function dayQuality(counts: readonly DayCounts[], cards: readonly CardDay[], matureUntilMs: number, cache: QualityCache): DayQuality[] {
  const isMature = (day: string): boolean => dayMs(day) + DAY_MS <= matureUntilMs;
  const byVersion = new Map<string, CardDay[]>();
  for (const card of cards) {
    const rows = byVersion.get(card.modelVersion);
    if (rows) rows.push(card);
    else byVersion.set(card.modelVersion, [card]);
  }
  const precisionAt100 = new Map<string, number>();
  for (const [version, rows] of byVersion) {
    const detected = cache.detected.get(version) ?? new Set<string>();
    cache.detected.set(version, detected);
    const toRows = (list: CardDay[]) => list.map((row) => ({ day: dayMs(row.day), card: row.card, score: row.score, fraud: row.fraud }));
    const mature = cardPrecisionAtK(toRows(rows.filter((row) => isMature(row.day))), 100, detected);
    // Provisional days may change: they start from the mature days' cards and leave the cache alone.
    const provisional = cardPrecisionAtK(toRows(rows.filter((row) => !isMature(row.day))), 100, new Set(detected));
    for (const { day, precision } of [...mature.perDay, ...provisional.perDay]) precisionAt100.set(`${new Date(day).toISOString().slice(0, 10)}\u0000${version}`, precision);
  }
  const fresh = counts.map((row) => ({
    ...row,
    precision: ratio(row.truePositives, row.alerts),
    recall: ratio(row.truePositives, row.frauds),
    cardPrecisionAt100: precisionAt100.get(`${row.day}\u0000${row.modelVersion}`) ?? null,
    mature: isMature(row.day),
  }));
  cache.mature.push(...fresh.filter((row) => row.mature));
  return [...cache.mature, ...fresh.filter((row) => !row.mature)];
}

/** The first day after the cache's mature ones, or `fallback`. */
const nextDayAfter = (cache: QualityCache, fallback: string): string => {
  const last = cache.mature.at(-1)?.day;
  return last === undefined ? fallback : new Date(dayMs(last) + DAY_MS).toISOString().slice(0, 10);
};

/** Features set by the clock, not the population: a day is all weekend or none of it, so these are compared over whole weeks. */
export const CALENDAR_FEATURES: ReadonlySet<string> = new Set(['TX_DURING_WEEKEND', 'TX_DURING_NIGHT']);
const WEEK_MS = 7 * DAY_MS;

/** A feature's PSI from its counts per training bin (unknown with too few payments). */
export function featureDrift(name: string, trainedShares: readonly number[] | undefined, counts: readonly number[], thresholds: DriftThresholds): FeatureDrift {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (trainedShares === undefined || total < MIN_DRIFT_PAYMENTS) return { name, psi: null, status: 'unknown' };
  const psi = populationStabilityIndex(trainedShares, sharesOf(counts));
  return { name, psi, status: driftStatus(psi, thresholds) };
}

/** PSI of the recent scores against the reference's, over the reference's deciles. */
export function scorePsi(referenceCounts: readonly number[], recentCounts: readonly number[]): number | null {
  const enough = (counts: readonly number[]) => counts.reduce((sum, count) => sum + count, 0) >= MIN_DRIFT_PAYMENTS;
  return enough(referenceCounts) && enough(recentCounts) ? populationStabilityIndex(sharesOf(referenceCounts), sharesOf(recentCounts)) : null;
}

/** The drift part of model health: every feature against its training bins, the score against the week before the window. */
async function measureDrift(store: PaymentStore, reference: DriftReference | undefined, from: Date, to: Date, thresholds: DriftThresholds) {
  const features: FeatureDrift[] = [];
  for (const [column, name] of FEATURE_NAMES.entries()) {
    const trained = reference?.features?.find((feature) => feature.name === name);
    const since = CALENDAR_FEATURES.has(name) ? new Date(Math.min(from.getTime(), to.getTime() - WEEK_MS)) : from;
    const counts = trained ? await store.binCounts({ feature: column }, trained.bins.edges, since, to) : [];
    features.push(featureDrift(name, trained?.bins.shares, counts, thresholds));
  }
  const referenceFrom = new Date(from.getTime() - SCORE_REFERENCE_MS);
  const deciles = [...new Set(await store.scoreQuantiles([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], referenceFrom, from))];
  const psi = scorePsi(await store.binCounts('score', deciles, referenceFrom, from), await store.binCounts('score', deciles, from, to));
  const edges = Array.from({ length: SCORE_HISTOGRAM_BINS + 1 }, (_, index) => index / SCORE_HISTOGRAM_BINS);
  // Equal-width bins for the chart; a score of exactly 1 counts in the last.
  const histogram = async (since: Date, until: Date): Promise<number[]> => {
    const counts = await store.binCounts('score', edges.slice(1, -1), since, until);
    return sharesOf(counts);
  };
  const recent = await histogram(from, to);
  const payments = (await store.binCounts('score', [], from, to))[0] ?? 0;
  return {
    features,
    payments,
    score: { psi, status: driftStatus(psi, thresholds), histogram: { edges, recent, reference: await histogram(referenceFrom, from) } },
  };
}

export function ruleQuality(rows: readonly RuleDayCounts[], matureUntilMs: number): ModelHealth['rules'] {
  return rows.map((row) => ({ ...row, precision: ratio(row.truePositives, row.hits), mature: dayMs(row.day) + DAY_MS <= matureUntilMs }));
}

/** Everything `GET /model-health` serves, over every stored day (card precision needs the earlier days). */
export async function computeModelHealth(
  store: PaymentStore,
  references: ReferenceSource,
  settings: ModelHealthSettings,
  now: Date,
  caches: Record<ModelRole, QualityCache> = { champion: emptyQualityCache(), challenger: emptyQualityCache() },
): Promise<ModelHealth> {
  const problems: string[] = [];
  const [days, watermarks] = await Promise.all([store.days(), store.watermarks()]);
  const fromDay = days[0] ?? '9999-12-31';
  const matureUntil = matureBefore(watermarks, settings.labelDelayDays);
  if (watermarks.payments !== null && watermarks.chargebacks === null) problems.push('no chargeback has arrived yet: every day is provisional');
  const quality = async (role: ModelRole): Promise<DayQuality[]> => {
    const cache = caches[role];
    // Days dropped from the store leave the cache too.
    cache.mature = cache.mature.filter((row) => row.day >= fromDay);
    const since = nextDayAfter(cache, fromDay);
    const [counts, cards] = await Promise.all([store.dayCounts(since, role), store.cardDays(since, role)]);
    return dayQuality(counts, cards, matureUntil, cache);
  };
  const champion = await quality('champion');
  const challenger = await quality('challenger');
  const rules = ruleQuality(await store.ruleDayCounts(fromDay), matureUntil);

  let reference: DriftReference | undefined;
  try {
    reference = await references.current();
  } catch (err) {
    problems.push(`the model's training distributions could not be read from ${references.dir}: ${(err as Error).message}`);
  }
  if (reference && reference.features === null) problems.push(`model ${reference.modelVersion} has no feature statistics (trained before they were kept): retrain it with npm run train`);
  const servedVersion = champion.at(-1)?.modelVersion;
  if (reference && servedVersion !== undefined && servedVersion !== reference.modelVersion) {
    problems.push(`drift is measured against model ${reference.modelVersion} (${references.dir}) while the newest payments were scored by ${servedVersion}`);
  }
  const to = watermarks.payments === null ? null : new Date(watermarks.payments.getTime() + 1);
  const from = to === null ? null : new Date(to.getTime() - settings.driftWindowMs);
  const drift =
    from === null || to === null
      ? { features: FEATURE_NAMES.map((name) => ({ name, psi: null, status: 'unknown' as const })), payments: 0, score: { psi: null, status: 'unknown' as const, histogram: { edges: [], recent: [], reference: [] } } }
      : await measureDrift(store, reference, from, to, settings.thresholds);
  if (to !== null && drift.payments < MIN_DRIFT_PAYMENTS) problems.push(`only ${drift.payments} payments in the drift window (at least ${MIN_DRIFT_PAYMENTS} are needed)`);
  return {
    generatedAt: now.toISOString(),
    watermark: watermarks.payments?.toISOString() ?? null,
    labelDelayDays: settings.labelDelayDays,
    days: champion,
    challenger: challenger.length === 0 ? null : challenger,
    rules,
    features: drift.features,
    score: drift.score,
    drift: {
      from: from?.toISOString() ?? null,
      to: to?.toISOString() ?? null,
      payments: drift.payments,
      reference: reference ? `model ${reference.modelVersion} training data` : 'none (no model metadata)',
      thresholds: settings.thresholds,
    },
    problems,
  };
}

/** The last N days of a snapshot (by the watermark's day). */
export function lastDays(health: ModelHealth, days: number): ModelHealth {
  if (health.watermark === null) return health;
  const first = new Date(dayMs(health.watermark.slice(0, 10)) - (days - 1) * DAY_MS).toISOString().slice(0, 10);
  const keep = <T extends { day: string }>(rows: T[]): T[] => rows.filter((row) => row.day >= first);
  return { ...health, days: keep(health.days), challenger: health.challenger && keep(health.challenger), rules: keep(health.rules) };
}

/** The latest mature day of each role, for the gauges. */
const latestMature = (rows: readonly DayQuality[] | null): DayQuality | undefined => rows?.filter((row) => row.mature).at(-1);

export function exportGauges(health: ModelHealth, metrics: Metrics): void {
  for (const feature of health.features) {
    if (feature.psi === null) {
      metrics.featurePsi.remove({ feature: feature.name });
      metrics.driftStatus.remove({ feature: feature.name });
    } else {
      metrics.featurePsi.set({ feature: feature.name }, feature.psi);
      metrics.driftStatus.set({ feature: feature.name }, feature.status === 'alert' ? 2 : feature.status === 'warn' ? 1 : 0);
    }
  }
  if (health.score.psi === null) metrics.scorePsi.reset();
  else metrics.scorePsi.set(health.score.psi);
  for (const gauge of [metrics.modelPrecision, metrics.modelRecall, metrics.modelCardPrecision]) gauge.reset();
  metrics.matureDay.reset();
  for (const [role, rows] of [['champion', health.days], ['challenger', health.challenger]] as const) {
    const day = latestMature(rows);
    if (!day) continue;
    const labels = { role, model_version: day.modelVersion };
    if (day.precision !== null) metrics.modelPrecision.set(labels, day.precision);
    if (day.recall !== null) metrics.modelRecall.set(labels, day.recall);
    if (day.cardPrecisionAt100 !== null) metrics.modelCardPrecision.set(labels, day.cardPrecisionAt100);
    metrics.matureDay.set({ role }, dayMs(day.day) / 1000);
  }
}

export interface ModelHealthMonitor {
  /** The latest snapshot, computed again when older than the refresh period; the last good one (with the failure among its problems) when the database fails. */
  snapshot(): Promise<ModelHealth>;
  start(): void;
  stop(): void;
  /** Why model health is stale, for /readyz (empty when the last refresh worked). */
  problems(): string[];
}

/**
 * Keeps a model health snapshot at most `refreshMs` old: computed on a timer (the gauges follow it)
 * and on a request that finds it older. One computation at a time.
 */
export function createModelHealthMonitor(options: {
  store: PaymentStore;
  references: ReferenceSource;
  settings: ModelHealthSettings;
  metrics: Metrics;
  log: Logger;
  refreshMs: number;
}): ModelHealthMonitor {
  const { metrics, log, refreshMs } = options;
  let last: { at: number; health: ModelHealth } | undefined;
  const caches = { champion: emptyQualityCache(), challenger: emptyQualityCache() };
  let running: Promise<ModelHealth> | undefined;
  let failure: string | undefined;
  let timer: NodeJS.Timeout | undefined;

  const refresh = (): Promise<ModelHealth> => {
    running ??= (async () => {
      try {
        const started = performance.now();
        const health = await computeModelHealth(options.store, options.references, options.settings, new Date(), caches);
        metrics.modelHealthDuration.observe((performance.now() - started) / 1000);
        last = { at: Date.now(), health };
        failure = undefined;
        exportGauges(health, metrics);
        return health;
      } catch (err) {
        metrics.modelHealthRefreshFailures.inc();
        failure = `model health could not be computed: ${(err as Error).message}`;
        log.warn({ err }, 'model health refresh failed');
        if (last) return { ...last.health, problems: [...last.health.problems, `${failure} (showing the figures of ${last.health.generatedAt})`] };
        throw err;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  return {
    snapshot: () => (last && Date.now() - last.at < refreshMs ? Promise.resolve(last.health) : refresh()),
    start() {
      timer = setInterval(() => void refresh().catch(() => {}), refreshMs);
      timer.unref();
      void refresh().catch(() => {});
    },
    stop() {
      clearInterval(timer);
    },
    problems: () => (failure === undefined ? [] : [failure]),
  };
}
