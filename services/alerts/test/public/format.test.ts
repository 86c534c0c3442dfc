import { describe, expect, expectTypeOf, it } from 'vitest';
import { FEATURE_NAMES, KNOWN_CHANNELS, MINUTE_MS as sharedMinuteMs } from '@fraudstream/shared';
import type { StoredAlert } from '../../src/schemas.js';
import {
  MINUTE_MS,
  TOKEN_REFUSED,
  chartColumns,
  countAlert,
  countCeiling,
  describeFeedback,
  describeHits,
  describePayment,
  describeReason,
  describeTime,
  formatContribution,
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
  rateScale,
  rateSummary,
  scoreClass,
  shownReasons,
  timeTitle,
  tokenPrompt,
  type PaymentDetails,
  type WordedReason,
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
    expect(formatFeature('TX_AMOUNT')).toBe('Payment amount');
    expect(formatFeature('TERMINAL_ID_RISK_7DAY_WINDOW')).toBe('Terminal risk 7-day');
    expect(formatFeature('CUSTOMER_ID_NB_TX_1DAY_WINDOW')).toBe('Card payments 1-day');
    expect(formatFeature('TERMINAL_ID_NB_KNOWN_FRAUDS')).toBe('Terminal number of known frauds');
    expect(formatFeature('CUSTOMER_ID_HOURS_SINCE_PREVIOUS_TX')).toBe('Card hours since previous payment');
    // Every model feature comes out as words: no underscore, no shouting.
    for (const name of FEATURE_NAMES) expect(formatFeature(name)).toMatch(/^[A-Z][a-z0-9 -]+$/);
    expect(formatValue(3)).toBe('3');
    expect(formatValue(0.8)).toBe('0.80');
    expect(formatValue(-1.005)).toBe((-1.005).toFixed(2));
    expect(formatValue(12345.6)).toBe(new Intl.NumberFormat().format(12346));
  });

  it("shows a reason in the detector's words with the score it added, else the feature's name and values", () => {
    expect(describeReason({ feature: 'TX_AMOUNT', value: 572.9, typical: 54.31, contribution: 0.3125, text: 'amount 572.90 (typical 54.31)' })).toEqual({
      label: null,
      text: 'amount 572.90',
      typical: '(typical 54.31)',
      size: '+0.31',
      title: 'TX_AMOUNT 572.90 (typical 54.31) · raised the score by 0.313',
    });
    expect(describeReason({ feature: 'amountVsCardMean7d', value: 6.2, typical: 1, contribution: 0.17 })).toEqual({
      label: 'Amount Vs Card Mean 7d',
      text: '6.20 vs 1',
      typical: null,
      size: '+0.17',
      title: 'amountVsCardMean7d 6.20 (typical 1) · raised the score by 0.170',
    });
    expect(describeReason({ feature: 'TX_DURING_NIGHT', value: 1, typical: 0.17, contribution: 0.1, text: 'at night' })).toMatchObject({ text: 'at night', typical: null });
    expect([0.004, 0.005, 0.5, 1].map(formatContribution)).toEqual(['+<0.01', '+0.01', '+0.50', '+1.00']);
  });

  it('shows only the reasons that raised the score, in the order they came', () => {
    const reasons = [
      { feature: 'a', value: 1, typical: 0, contribution: 0.1 },
      { feature: 'b', value: 1, typical: 0, contribution: 0 },
      { feature: 'c', value: 1, typical: 0, contribution: 0.3 },
      { feature: 'd', value: 1, typical: 0, contribution: -0.2 },
      { feature: 'e', value: 1, typical: 0, contribution: Number.NaN },
    ];
    expect(shownReasons(reasons).map((reason) => reason.feature)).toEqual(['a', 'c']);
    expect(shownReasons([])).toEqual([]);
  });

  it("shows a payment's channel, merchant category and masked card number as an analyst reads them", () => {
    expect(describePayment({ channel: 'ecommerce', merchantCategory: '5732', maskedPan: '411111******1111' })).toEqual({
      channel: 'online',
      category: '5732 electronics',
      categoryTitle: 'merchant category 5732 (electronics)',
      pan: '411111******1111',
    });
    expect(describePayment({ channel: 'crypto_wallet', merchantCategory: '1234' })).toEqual({ channel: 'crypto_wallet', category: 'MCC 1234', categoryTitle: 'merchant category 1234', pan: null });
    expect(describePayment({})).toEqual({ channel: null, category: null, categoryTitle: null, pan: null });
    // A channel named like an object's property is a channel, not a property.
    expect(describePayment({ channel: 'constructor' }).channel).toBe('constructor');
    for (const channel of KNOWN_CHANNELS) expect(describePayment({ channel }).channel).toMatch(/^[a-zA-Z /]+$/);
  });

  it('reads the fields the table shows from what the API sends', () => {
    expectTypeOf<StoredAlert['transaction']>().toExtend<PaymentDetails>();
    expectTypeOf<StoredAlert['reasons'][number]>().toExtend<WordedReason>();
  });

  it('says which token the dialog asks for, where npm start keeps it, and that one was refused', () => {
    expect(tokenPrompt('api').title).toBe('API token');
    expect(tokenPrompt('api').help).toContain('.fraudstream/alerts-api-token');
    expect(tokenPrompt('read')).toMatchObject({ title: 'Read token', help: expect.stringContaining('ALERTS_READ_TOKEN') });
    expect(TOKEN_REFUSED).toMatch(/refused/);
  });

  it("tells the payment's time from the detection's in the time's tooltip", () => {
    expect(timeTitle('2018-06-12T09:33:30Z', '2026-12-04T02:03:39.123Z')).toBe('payment 2018-06-12T09:33:30.000Z · detected 2026-12-04T02:03:39.123Z');
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
    // On a clipped scale, the counts above its top are drawn at it.
    expect(chartColumns(minutes('2026-06-15T10:02:00.000Z', [460, 2, 30]), 8).slice(1)).toEqual([
      [8, 2, null],
      [null, null, 8],
    ]);
  });

  it("keeps the live rate readable beside a start-up's backfill: the burst is clipped, not the scale stretched", () => {
    // 40 minutes of a few alerts a minute after a backfill minute of 460 (and a quiet start).
    const live = Array.from({ length: 40 }, (_, index) => 1 + ((index * 7) % 4));
    const hour = minutes('2026-06-15T10:59:00.000Z', [...Array.from({ length: 19 }, () => 0), 460, ...live]);
    const scale = rateScale(hour);
    expect(scale.clipped).toEqual([19]);
    expect(scale.top).toBe(8);
    expect(Math.max(...live)).toBeLessThanOrEqual(scale.top);
    // A backfill of two minutes, in the current one too: both clipped.
    expect(rateScale(minutes('2026-06-15T10:59:00.000Z', [...Array.from({ length: 58 }, () => 2), 300, 460])).clipped).toEqual([58, 59]);
  });

  it('follows the counts when no minute stands out', () => {
    expect(rateScale([])).toEqual({ top: 4, clipped: [] });
    expect(rateScale(minutes('2026-06-15T10:59:00.000Z', Array.from({ length: 60 }, () => 0)))).toEqual({ top: 4, clipped: [] });
    // A steady 460 a minute is the rate, not a burst.
    expect(rateScale(minutes('2026-06-15T10:59:00.000Z', Array.from({ length: 60 }, (_, index) => 440 + (index % 40))))).toEqual({ top: 600, clipped: [] });
    // A rate that rose for the last ten minutes is drawn to scale.
    const rising = rateScale(minutes('2026-06-15T10:59:00.000Z', [...Array.from({ length: 50 }, () => 2), ...Array.from({ length: 10 }, () => 50)]));
    expect(rising).toEqual({ top: 60, clipped: [] });
    // A few alerts: up to 4 a minute the axis is 0..4 and nothing is clipped.
    expect(rateScale(minutes('2026-06-15T10:59:00.000Z', [0, 0, 4, 0, 1]))).toEqual({ top: 4, clipped: [] });
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
