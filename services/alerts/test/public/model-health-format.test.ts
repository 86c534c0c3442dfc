import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DAY_S,
  DEFAULT_DAYS,
  EMPTY_TEXT,
  binIndex,
  binReadout,
  countsTitle,
  dayRange,
  dayRows,
  dayTicks,
  dayTime,
  daysFrom,
  driftSummary,
  figuresByDay,
  formatAxisDay,
  formatPsi,
  formatRatio,
  formatShare,
  formatUtc,
  histogramColumns,
  isolatedIndices,
  logRange,
  logTicks,
  metricPoint,
  metricSummary,
  modelSeries,
  nameParts,
  paymentsOf,
  provisionalNote,
  psiBars,
  qualityFrame,
  shortVersion,
  sortFeatures,
  splitByMaturity,
  statusColor,
  thresholdsText,
  versionChanges,
  versionsOf,
} from '../../public/model-health-format.js';
import type { DriftStatus, FeatureDrift, ModelHealth, ModelHealthDay } from '../../public/types.js';

/** A day's entry as GET /model-health sends it, its ratios from its counts. */
function day(dayText: string, modelVersion: string, counts: Partial<Pick<ModelHealthDay, 'payments' | 'alerts' | 'frauds' | 'truePositives' | 'cardPrecisionAt100' | 'mature'>> = {}): ModelHealthDay {
  const { payments = 1000, alerts = 10, frauds = 20, truePositives = 8, cardPrecisionAt100 = 0.3, mature = true } = counts;
  return {
    day: dayText,
    modelVersion,
    payments,
    alerts,
    frauds,
    truePositives,
    precision: alerts > 0 ? truePositives / alerts : null,
    recall: frauds > 0 ? truePositives / frauds : null,
    cardPrecisionAt100: payments > 0 ? cardPrecisionAt100 : null,
    mature,
  };
}

function health(overrides: Partial<ModelHealth> = {}): ModelHealth {
  return {
    generatedAt: '2026-12-04T01:00:00.000Z',
    watermark: '2018-06-01T10:00:00.000Z',
    labelDelayDays: 7,
    days: [],
    challenger: null,
    features: [],
    score: { psi: 0.013, status: 'ok', histogram: { edges: [0, 0.5, 1], recent: [0.9, 0.1], reference: [0.8, 0.2] } },
    drift: { from: '2018-05-25T10:00:00.000Z', to: '2018-06-01T10:00:00.000Z', payments: 9500, reference: 'model m-2 training data', thresholds: { warn: 0.1, alert: 0.25 } },
    problems: [],
    ...overrides,
  };
}

describe('model health format', () => {
  it('reads the days from the query string, one of the choices only', () => {
    expect(daysFrom('?days=14')).toBe(14);
    expect(daysFrom('?days=60&x=1')).toBe(60);
    expect(daysFrom('?days=13')).toBe(DEFAULT_DAYS);
    expect(daysFrom('')).toBe(DEFAULT_DAYS);
    expect(daysFrom('?days=abc')).toBe(DEFAULT_DAYS);
  });

  it('formats ratios, PSI, shares and instants', () => {
    expect(formatRatio(0.852)).toBe('85.2%');
    expect(formatRatio(null)).toBe('–');
    expect([0.021, 0, 0.0004, 0.25, 12.34, null].map(formatPsi)).toEqual(['0.021', '0.000', '<0.001', '0.250', '12.3', '–']);
    expect([1, 0.1, 0.01, 0.001, 0.0001, 0.123, 0].map(formatShare)).toEqual(['100%', '10%', '1%', '0.1%', '0.01%', '12%', '0%']);
    expect(formatUtc('2018-06-01T10:00:00.000Z')).toBe('2018-06-01 10:00 UTC');
    expect(formatUtc(null)).toBe('–');
    expect(formatAxisDay(dayTime('2018-05-01'))).toBe(new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(Date.UTC(2018, 4, 1)));
    expect(provisionalNote(7)).toBe('provisional until labels mature (7 days)');
    expect(provisionalNote(1)).toBe('provisional until labels mature (1 day)');
    expect(EMPTY_TEXT).toContain('fraud.scores');
  });

  it('counts a changeover day once, precision and recall from the summed counts', () => {
    const byDay = figuresByDay([
      day('2018-05-01', 'm-1', { payments: 4000, alerts: 30, frauds: 40, truePositives: 24, cardPrecisionAt100: 0.2 }),
      day('2018-05-01', 'm-2', { payments: 6000, alerts: 10, frauds: 60, truePositives: 6, cardPrecisionAt100: 0.4, mature: false }),
      day('2018-05-02', 'm-2', { alerts: 0, frauds: 0, truePositives: 0 }),
    ]);
    expect(byDay.get('2018-05-01')).toEqual({
      day: '2018-05-01',
      modelVersions: ['m-1', 'm-2'],
      payments: 10_000,
      alerts: 40,
      frauds: 100,
      truePositives: 30,
      precision: 0.75,
      recall: 0.3,
      cardPrecisionAt100: 0.2 * 0.4 + 0.4 * 0.6,
      mature: false,
    });
    expect(byDay.get('2018-05-02')).toMatchObject({ modelVersions: ['m-2'], precision: null, recall: null });
  });

  it('lays the days out without holes, so that a day without figures is a gap', () => {
    expect(dayRange(['2018-05-03', '2018-04-30', '2018-05-01'])).toEqual(['2018-04-30', '2018-05-01', '2018-05-02', '2018-05-03']);
    expect(dayRange([])).toEqual([]);
    expect(dayTime('2018-05-02') - dayTime('2018-05-01')).toBe(DAY_S);
  });

  it('draws the mature days solid and the provisional ones dashed, joined at the last mature day', () => {
    expect(splitByMaturity([0.5, 0.6, 0.7, 0.8], [true, true, false, false])).toEqual({
      solid: [0.5, 0.6, null, null],
      provisional: [null, 0.6, 0.7, 0.8],
    });
    expect(splitByMaturity([0.5, null, 0.7], [true, null, false])).toEqual({ solid: [0.5, null, null], provisional: [null, null, 0.7] });
    expect(isolatedIndices([0.5, null, 0.7, 0.8, null, 0.1])).toEqual([0, 5]);
    expect(isolatedIndices([])).toEqual([]);
  });

  it('keeps every value of a series on one of its two lines, and a provisional day off the solid one', () => {
    // A day without figures (null) has neither a value nor a maturity.
    const days = fc.array(fc.option(fc.record({ value: fc.option(fc.double({ min: 0, max: 1, noNaN: true })), mature: fc.boolean() })), { maxLength: 40 });
    fc.assert(
      fc.property(days, (series) => {
        const values = series.map((entry) => entry?.value ?? null);
        const { solid, provisional } = splitByMaturity(
          values,
          series.map((entry) => entry?.mature ?? null),
        );
        values.forEach((value, index) => {
          expect(solid[index] === value || provisional[index] === value).toBe(true);
          if (series[index]?.mature === false) expect(solid[index]).toBeNull();
        });
      }),
    );
  });

  it('puts both models on the same days, hollow points on the provisional ones', () => {
    const answer = health({
      days: [day('2018-05-01', 'm-1'), day('2018-05-03', 'm-1', { mature: false })],
      challenger: [day('2018-05-02', 'c-1', { alerts: 20, truePositives: 15 })],
    });
    const frame = qualityFrame(answer);
    expect(frame.days).toEqual(['2018-05-01', '2018-05-02', '2018-05-03']);
    expect(frame.times).toEqual(frame.days.map(dayTime));
    expect(frame.champion.map((figures) => figures?.day ?? null)).toEqual(['2018-05-01', null, '2018-05-03']);
    expect(frame.challenger?.map((figures) => figures?.precision ?? null)).toEqual([null, 0.75, null]);
    expect(modelSeries(frame.champion, 'precision')).toEqual({ solid: [0.8, null, null], provisional: [null, null, 0.8], provisionalIndices: [2] });
    expect(qualityFrame(health({ days: answer.days })).challenger).toBeNull();
  });

  it('reads a day of a quality chart out, the latest with figures when the cursor is off it', () => {
    const frame = qualityFrame(
      health({
        days: [day('2018-05-01', 'm-1'), day('2018-05-02', 'm-1', { alerts: 4, truePositives: 1, mature: false })],
        challenger: [day('2018-05-01', 'c-1', { alerts: 0, truePositives: 0 })],
      }),
    );
    expect(metricPoint(frame, 'precision', null)).toEqual({ day: '2018-05-02', time: dayTime('2018-05-02'), champion: '25.0%', challenger: '–', provisional: true });
    expect(metricPoint(frame, 'recall', 0)).toMatchObject({ day: '2018-05-01', champion: '40.0%', challenger: '0.0%', provisional: false });
    expect(metricPoint(qualityFrame(health()), 'recall', null)).toBeNull();
    expect(metricSummary(frame, 'precision')).toBe('Precision per day from 2018-05-01 to 2018-05-02; on 2018-05-02 (provisional): champion 25.0%, challenger –');
    expect(metricSummary(qualityFrame(health()), 'cardPrecisionAt100')).toBe('Card precision@100 per day: no days yet');
  });

  it('marks the days a version took over, a rollback too, and not the first version', () => {
    const entries = [
      day('2018-05-01', 'm-1'),
      day('2018-05-02', 'm-1'),
      // The changeover day: the new version is the one that goes on the next day, whatever the order here.
      day('2018-05-03', 'm-2'),
      day('2018-05-03', 'm-1'),
      day('2018-05-04', 'm-2'),
      day('2018-05-05', 'm-1'),
    ];
    expect(versionChanges(entries)).toEqual([
      { day: '2018-05-03', time: dayTime('2018-05-03'), modelVersion: 'm-2' },
      { day: '2018-05-05', time: dayTime('2018-05-05'), modelVersion: 'm-1' },
    ]);
    expect(versionChanges([day('2018-05-01', 'm-1'), day('2018-05-02', 'm-1')])).toEqual([]);
    expect(versionChanges([])).toEqual([]);
    expect(versionsOf(entries)).toEqual(['m-1', 'm-2']);
    expect(shortVersion('m-1')).toBe('m-1');
    expect(shortVersion('mlp-2018-07-25-2018-08-01-s0-ed5e2270a9')).toBe('mlp-2018-0…d5e2270a9');
  });

  it('labels at most as many days as fit, counted back from the latest', () => {
    const times = Array.from({ length: 10 }, (_, index) => index * DAY_S);
    expect(dayTicks(times, 20)).toEqual(times);
    expect(dayTicks(times, 4)).toEqual([0, 3 * DAY_S, 6 * DAY_S, 9 * DAY_S]);
    expect(dayTicks(times, 0)).toEqual([9 * DAY_S]);
    expect(dayTicks([], 5)).toEqual([]);
  });

  it('lists the days newest first, the champion before the challenger', () => {
    const rows = dayRows(
      health({
        days: [day('2018-05-01', 'm-1'), day('2018-05-02', 'm-2'), day('2018-05-02', 'm-1')],
        challenger: [day('2018-05-01', 'c-1'), day('2018-05-02', 'c-1')],
      }),
    );
    expect(rows.map((row) => `${row.day} ${row.role} ${row.modelVersion}`)).toEqual([
      '2018-05-02 champion m-1',
      '2018-05-02 champion m-2',
      '2018-05-02 challenger c-1',
      '2018-05-01 champion m-1',
      '2018-05-01 challenger c-1',
    ]);
    expect(countsTitle(day('2018-05-01', 'm-1', { alerts: 1200, frauds: 50, truePositives: 45 }))).toEqual({
      precision: `45 of ${new Intl.NumberFormat().format(1200)} alerts were fraud`,
      recall: '45 of 50 frauds were alerted',
    });
  });

  it('sorts the features worst first, alerts on top, those without a PSI last', () => {
    const features: FeatureDrift[] = [
      { name: 'TX_AMOUNT', psi: 0.02, status: 'ok' },
      { name: 'NO_REFERENCE', psi: null, status: 'unknown' },
      { name: 'TERMINAL_RISK', psi: 0.4, status: 'alert' },
      { name: 'NIGHT', psi: 0.12, status: 'warn' },
      { name: 'WEEKEND', psi: 0.3, status: 'alert' },
      { name: 'COUNT', psi: 0.05, status: 'ok' },
    ];
    expect(sortFeatures(features).map((feature) => feature.name)).toEqual(['TERMINAL_RISK', 'WEEKEND', 'NIGHT', 'COUNT', 'TX_AMOUNT', 'NO_REFERENCE']);
    expect(features[0]?.name).toBe('TX_AMOUNT');

    const bars = psiBars(features, { warn: 0.1, alert: 0.25 });
    expect(bars.max).toBeCloseTo(0.4);
    expect(bars.marks.warn).toBeCloseTo(0.25);
    expect(bars.marks.alert).toBeCloseTo(0.625);
    expect(bars.rows.map((row) => [row.name, row.text])).toContainEqual(['NO_REFERENCE', '–']);
    expect(bars.rows[0]).toMatchObject({ name: 'TERMINAL_RISK', share: 1, text: '0.400' });
    // Without a large PSI the scale still reaches past the alert threshold.
    expect(psiBars([{ name: 'A', psi: 0.01, status: 'ok' }], { warn: 0.1, alert: 0.25 }).marks.alert).toBeCloseTo(1 / 1.6);
    expect(psiBars([], { warn: 0.1, alert: 0.25 }).rows).toEqual([]);
    expect(nameParts('TERMINAL_ID_RISK_7DAY_WINDOW')).toEqual(['TERMINAL_', 'ID_', 'RISK_', '7DAY_', 'WINDOW']);
  });

  it("colours each status with one of style.css's custom properties", () => {
    const css = readFileSync(new URL('../../public/style.css', import.meta.url), 'utf8');
    const statuses: DriftStatus[] = ['ok', 'warn', 'alert', 'unknown'];
    expect(statuses.map(statusColor)).toEqual(['--legit', '--warn', '--fraud', '--muted']);
    for (const name of [...statuses.map(statusColor), '--accent', '--challenger']) expect(css).toMatch(new RegExp(`^\\s*${name}:`, 'm'));
  });

  it('gives the score histogram as steps, without the zero shares a log axis cannot show', () => {
    const histogram = { edges: [0, 0.5, 1], recent: [0.999, 0.001], reference: [1, 0] };
    expect(histogramColumns(histogram)).toEqual([
      [0, 0.5, 1],
      [0.999, 0.001, 0.001],
      [1, null, null],
    ]);
    expect(logRange([histogram.recent, histogram.reference])).toEqual([0.001, 1]);
    expect(logRange([[0.5, 0.3, 0.2]])).toEqual([0.1, 1]);
    expect(logRange([[0, 0]])).toEqual([0.1, 1]);
    expect(logRange([[0.00042]])[0]).toBeCloseTo(0.0001, 12);
    expect(logTicks(0.001, 1).map(formatShare)).toEqual(['0.1%', '1%', '10%', '100%']);
  });

  it('reads out the bin under the cursor', () => {
    const edges = Array.from({ length: 21 }, (_, index) => index / 20);
    const histogram = { edges, recent: edges.slice(1).map(() => 0.05), reference: edges.slice(1).map(() => 0.05) };
    expect(binIndex(edges, 0)).toBe(0);
    expect(binIndex(edges, 0.051)).toBe(1);
    expect(binIndex(edges, 1)).toBe(19);
    expect(binIndex(edges, -0.01)).toBe(-1);
    expect(binIndex(edges, 1.2)).toBe(-1);
    expect(binIndex([], 0.5)).toBe(-1);
    expect(binReadout(histogram, 19)).toBe('scores 0.95–1.00 · recent 5% · reference 5%');
    expect(binReadout(histogram, -1)).toBe(binReadout(histogram, null));
  });

  it('says which payments the drift compares with what', () => {
    const answer = health({ days: [day('2018-05-01', 'm-1', { payments: 1200 }), day('2018-05-01', 'm-2', { payments: 300 })] });
    expect(driftSummary(answer.drift)).toBe(`${new Intl.NumberFormat().format(9500)} payments from 2018-05-25 10:00 UTC to 2018-06-01 10:00 UTC against model m-2 training data.`);
    expect(driftSummary({ ...answer.drift, from: null, to: null, payments: 0 })).toBe('No payments in the period to compare with model m-2 training data.');
    expect(thresholdsText(answer.drift.thresholds)).toBe('thresholds: warn 0.1 · alert 0.25');
    expect(paymentsOf(answer)).toBe(1500);
  });
});
