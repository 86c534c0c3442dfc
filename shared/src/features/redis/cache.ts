import type { HistorySpans, LabelEntry, TimeSeries } from '../store.js';

/** What this process holds of one card's or terminal's series, and for which span of time it is complete. */
export interface CachedSeries {
  series: TimeSeries;
  /** Every entry Redis holds from this time on (inclusive) is in `series`… */
  fromMs: number;
  /** …up to this time (inclusive). Later entries are in `series` only if this process wrote them. */
  toMs: number;
  /** Event time of the key's last maintenance (trim and TTL) sent to Redis. */
  maintainedAtMs: number;
}

export interface CachedLabels {
  /** The terminal's label events for transactions from `fromMs` on. */
  entries: LabelEntry[];
  /** The key's version counter when `entries` were read; undefined: read them again at the next use. */
  version: string | undefined;
  fromMs: number;
}

/** What this process holds of the store's keys, by card and terminal id. */
export interface FeatureCache {
  /** Replaced, not cleared, by `forgetCards()`: a batch in flight keeps the map it started with. */
  cards: Map<string, CachedSeries>;
  readonly terminals: Map<string, CachedSeries>;
  readonly labels: Map<string, CachedLabels>;
  /** The latest transaction time recorded. */
  newestMs: number;
  /** Transactions recorded since the last sweep. */
  sinceSweep: number;
}

/** Cached cards and terminals are checked for staleness after this many transactions. */
const SWEEP_EVERY = 200_000;

export const emptyFeatureCache = (): FeatureCache => ({ cards: new Map(), terminals: new Map(), labels: new Map(), newestMs: -Infinity, sinceSweep: 0 });

/** Every SWEEP_EVERY transactions, drops the cached cards and terminals that have gone quiet. */
export function sweepIfDue(cache: FeatureCache, spans: HistorySpans): void {
  if (cache.sinceSweep < SWEEP_EVERY) return;
  cache.sinceSweep = 0;
  const stale = ({ series }: CachedSeries, keepFromMs: number): boolean =>
    series.end === series.start || series.timestampsMs[series.end - 1]! < keepFromMs;
  for (const [id, cached] of cache.cards) if (stale(cached, cache.newestMs - spans.cardMs - spans.graceMs)) cache.cards.delete(id);
  for (const [id, cached] of cache.terminals) {
    if (stale(cached, cache.newestMs - spans.terminalMs - spans.graceMs)) {
      cache.terminals.delete(id);
      cache.labels.delete(id);
    }
  }
}
