import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../../src/durations.js';
import { emptyFeatureCache, sweepIfDue, type CachedSeries } from '../../../src/features/redis/cache.js';
import { emptySeries, insertEntry } from '../../../src/features/series.js';
import type { HistorySpans } from '../../../src/features/store.js';

const seriesAt = (...timestampsMs: number[]): CachedSeries => {
  const series = emptySeries();
  for (const t of timestampsMs) insertEntry(series, t, String(t), 0, false, -Infinity);
  return { series, fromMs: -Infinity, toMs: Infinity, maintainedAtMs: -Infinity };
};

describe('sweepIfDue', () => {
  const spans: HistorySpans = { cardMs: 30 * DAY_MS, terminalMs: 37 * DAY_MS, terminalLagMs: 7 * DAY_MS, graceMs: 7 * DAY_MS };

  it('drops the cards and terminals (with their labels) that hold nothing recent, once enough transactions went by', () => {
    const cache = emptyFeatureCache();
    const now = 400 * DAY_MS;
    cache.newestMs = now;
    cache.cards.set('card-old', seriesAt(now - spans.cardMs - spans.graceMs - 1));
    cache.cards.set('card-new', seriesAt(now - spans.cardMs - spans.graceMs));
    cache.cards.set('card-empty', seriesAt());
    cache.terminals.set('term-old', seriesAt(now - spans.terminalMs - spans.graceMs - 1));
    cache.terminals.set('term-new', seriesAt(now - spans.terminalMs - spans.graceMs));
    cache.labels.set('term-old', { entries: [], version: '1', fromMs: 0 });
    cache.labels.set('term-new', { entries: [], version: '1', fromMs: 0 });

    cache.sinceSweep = 199_999;
    sweepIfDue(cache, spans);
    expect(cache.cards.size).toBe(3);

    cache.sinceSweep = 200_000;
    sweepIfDue(cache, spans);
    expect(cache.sinceSweep).toBe(0);
    expect([...cache.cards.keys()]).toEqual(['card-new']);
    expect([...cache.terminals.keys()]).toEqual(['term-new']);
    expect([...cache.labels.keys()]).toEqual(['term-new']);
  });
});
