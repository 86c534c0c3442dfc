import { describe, expect, it } from 'vitest';
import { MINUTE_MS as sharedMinuteMs } from '@fraudstream/shared';
import {
  MINUTE_MS,
  chartColumns,
  countAlert,
  countCeiling,
  describeFeedback,
  describeHits,
  describeReason,
  describeTime,
  filterSummary,
  filtersOf,
  formatAmount,
  formatCount,
  formatFeature,
  formatPrecision,
  formatValue,
  minuteOf,
  minuteTicks,
  minutesAgoLabel,
  modelsText,
  modelsTitle,
  queryString,
  rateSummary,
  scoreClass,
} from '../../public/format.js';
import type { MinuteCount } from '../../public/types.js';

/** The last `count` minutes up to the one `latest` falls in, oldest first, as /stats sends them. */
function minutes(latest: string, counts: number[]): MinuteCount[] {
  const last = Date.parse(minuteOf(latest));
  return counts.map((count, index) => ({ minute: new Date(last - (counts.length - 1 - index) * MINUTE_MS).toISOString(), count }));
}

describe('format', () => {
  it('keeps the minute the length shared/src/durations.ts gives it', () => {
    expect(MINUTE_MS).toBe(sharedMinuteMs);
  });

  it("describes a rule's hits in a window, with its errors when there are any", () => {
    expect(describeHits(undefined)).toBe('–');
    expect(describeHits({ hits: 0, errors: 0 })).toBe('0');
    expect(describeHits({ hits: 12_345, errors: 0 })).toBe('12,345');
    expect(describeHits({ hits: 12, errors: 1 })).toBe('12 · 1 error');
    expect(describeHits({ hits: 12, errors: 3 })).toBe('12 · 3 errors');
  });

  it('formats counts, amounts, precision and scores', () => {
    expect(formatCount(1234567)).toBe(new Intl.NumberFormat().format(1234567));
    expect(formatAmount(1899.9)).toBe(new Intl.NumberFormat(undefined, { minimumFractionDigits: 2 }).format(1899.9));
    expect(formatAmount(5)).toMatch(/^5.00$/);
    expect(formatPrecision(null)).toBe('–');
    expect(formatPrecision(0.8766)).toBe('87.7%');
    expect([0.95, 0.8, 0.79, 0.5, 0.49, 0].map(scoreClass)).toEqual(['score-high', 'score-high', 'score-mid', 'score-mid', 'score-low', 'score-low']);
  });

  it('names features in words and shows values at a readable precision', () => {
    expect(formatFeature('txCount24h')).toBe('Tx Count 24h');
    expect(formatFeature('terminalRisk7d')).toBe('Terminal Risk 7d');
    expect(formatFeature('TX_AMOUNT')).toBe('TX_AMOUNT');
    expect(formatValue(3)).toBe('3');
    expect(formatValue(0.8)).toBe('0.80');
    expect(formatValue(-1.005)).toBe((-1.005).toFixed(2));
    expect(formatValue(12345.6)).toBe(new Intl.NumberFormat().format(12346));
    expect(describeReason({ feature: 'amountVsCardMean7d', value: 6.2, typical: 1, contribution: 0.17 })).toEqual({
      feature: 'Amount Vs Card Mean 7d',
      values: '6.20 vs 1',
      title: 'contribution 0.170',
    });
  });

  it('shows the date of a detection only when it is not today', () => {
    const now = new Date(2026, 5, 15, 14, 30);
    const today = describeTime(new Date(2026, 5, 15, 9, 5, 7).toISOString(), now);
    expect(today.date).toBeNull();
    expect(today.time).toBe(new Date(2026, 5, 15, 9, 5, 7).toLocaleTimeString(undefined, { hour12: false }));
    const earlier = new Date(2026, 5, 14, 23, 59);
    expect(describeTime(earlier.toISOString(), now)).toEqual({
      iso: earlier.toISOString(),
      date: earlier.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }),
      time: earlier.toLocaleTimeString(undefined, { hour12: false }),
    });
  });

  it('describes a verdict, with its note when there is one', () => {
    const at = '2026-06-15T10:00:00.000Z';
    const when = new Date(at).toLocaleString();
    expect(describeFeedback({ label: 'fraud', note: null, at })).toBe(`fraud · ${when}`);
    expect(describeFeedback({ label: 'legit', note: 'customer called', at })).toBe(`legit · ${when} · customer called`);
  });

  it('lists the model versions, a dash when there are none', () => {
    const models = [
      { modelVersion: 'm-2', alerts: 12 },
      { modelVersion: 'm-1', alerts: 3 },
    ];
    expect(modelsText(models)).toBe('m-2, m-1');
    expect(modelsText([])).toBe('–');
    expect(modelsTitle(models)).toBe('m-2: 12 alerts in 24 h\nm-1: 3 alerts in 24 h');
  });

  it('counts a live alert in its minute, and not at all outside the window', () => {
    const perMinute = minutes('2026-06-15T10:02:10.000Z', [1, 0, 4]);
    expect(minuteOf('2026-06-15T10:01:59.999Z')).toBe('2026-06-15T10:01:00.000Z');
    const counted = countAlert(perMinute, '2026-06-15T10:01:30.000Z');
    expect(counted?.map((entry) => entry.count)).toEqual([1, 1, 4]);
    expect(perMinute.map((entry) => entry.count)).toEqual([1, 0, 4]);
    expect(countAlert(perMinute, '2026-06-15T09:59:59.000Z')).toBeNull();
    expect(countAlert([], '2026-06-15T10:01:30.000Z')).toBeNull();
  });

  it('sums the rate of this minute and of the hour', () => {
    expect(rateSummary(minutes('2026-06-15T10:02:00.000Z', [2, 1000, 3]))).toBe(`3 this minute · ${formatCount(1005)} in the last hour`);
    expect(rateSummary([])).toBe('0 this minute · 0 in the last hour');
  });

  it('gives uPlot the minutes in seconds, earlier minutes and the current one as two series', () => {
    const perMinute = minutes('2026-06-15T10:02:00.000Z', [2, 0, 3]);
    const start = Date.parse('2026-06-15T10:00:00.000Z') / 1000;
    expect(chartColumns(perMinute)).toEqual([
      [start, start + 60, start + 120],
      [2, 0, null],
      [null, null, 3],
    ]);
    expect(chartColumns([])).toEqual([[], [], []]);
  });

  it('tops the count axis at a number that halves into a round one', () => {
    expect([0, 1, 4, 5, 7, 9, 10, 11, 25, 31, 99, 100, 101, 350].map(countCeiling)).toEqual([
      4, 4, 4, 6, 8, 10, 20, 20, 40, 40, 100, 200, 200, 400,
    ]);
    for (const max of [5, 13, 77, 640, 9_999]) {
      const ceiling = countCeiling(max);
      expect(ceiling).toBeGreaterThanOrEqual(max);
      expect(Number.isInteger(ceiling / 2)).toBe(true);
    }
  });

  it('labels every tenth minute back from now', () => {
    const hour = chartColumns(minutes('2026-06-15T10:59:00.000Z', Array.from({ length: 60 }, () => 0)))[0];
    const latest = hour.at(-1) ?? 0;
    const ticks = minuteTicks(hour);
    expect(ticks.map((minute) => minutesAgoLabel(minute, latest))).toEqual(['-50m', '-40m', '-30m', '-20m', '-10m', 'now']);
    expect(minuteTicks([])).toEqual([]);
  });

  it('builds query strings from the filters that are set', () => {
    const filters = { cardId: 'card-42', terminalId: '', status: 'open', minScore: '' };
    expect(queryString(filters)).toBe('cardId=card-42&status=open');
    expect(queryString(filters, { limit: '100', cursor: undefined, token: 'a b' })).toBe('cardId=card-42&status=open&limit=100&token=a+b');
    expect(queryString({})).toBe('');
    expect(filterSummary(filters)).toBe('Filtered by cardId=card-42, status=open');
    expect(filterSummary({ cardId: '' })).toBe('');
  });

  it('reads the filter form with every value trimmed', () => {
    expect(filtersOf([['cardId', '  card-7 '], ['status', '']])).toEqual({ cardId: 'card-7', status: '' });
  });
});
