import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DAY_S,
  DEFAULT_DAYS,
  EMPTY_TEXT,
  PSI_SCALE_CAP,
  RULES_EMPTY_TEXT,
  SCALE_MIN_GAP_PX,
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
  ruleRows,
  ruleTitles,
  shortVersion,
  sortFeatures,
  splitByMaturity,
  stackScaleLabels,
  statusColor,
  thresholdsText,
  versionChanges,
  versionsOf,
} from '../../public/model-health-format.js';
import type { DriftStatus, FeatureDrift, ModelHealth, ModelHealthDay, RuleDayQuality } from '../../public/types.js';

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

/** A rule's entry on one day as GET /model-health sends it. */
function ruleDay(dayText: string, ruleId: string, hits: number, truePositives: number, mature = true): RuleDayQuality {
  return { day: dayText, ruleId, hits, truePositives, precision: hits > 0 ? truePositives / hits : null, mature };
}

function health(overrides: Partial<ModelHealth> = {}): ModelHealth {
  return {
    generatedAt: '2026-12-04T01:00:00.000Z',
    watermark: '2018-06-01T10:00:00.000Z',
    labelDelayDays: 7,
    days: [],
    challenger: null,
    rules: [],
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

  it('caps the PSI scale past the alert threshold, the larger drifts drawn as broken bars', () => {
    const thresholds = { warn: 0.1, alert: 0.25 };
    const bars = psiBars(
      [
        { name: 'TX_AMOUNT', psi: 2.07, status: 'alert' },
        { name: 'NIGHT', psi: 0.3, status: 'alert' },
        { name: 'COUNT', psi: 0.02, status: 'ok' },
      ],
      thresholds,
    );
    expect(bars.max).toBeCloseTo(thresholds.alert * PSI_SCALE_CAP);
    expect(bars.marks.warn).toBeCloseTo(0.1);
    expect(bars.marks.alert).toBeCloseTo(0.25);
    expect(bars.rows.map((row) => [row.name, row.share, row.broken])).toEqual([
      ['TX_AMOUNT', 1, true],
      ['NIGHT', expect.closeTo(0.3, 10), false],
      ['COUNT', expect.closeTo(0.02, 10), false],
    ]);
    expect(bars.rows[0]?.text).toBe('2.070');
    // Up to the cap the scale reaches the largest PSI, and no bar is cut.
    const below = psiBars([{ name: 'A', psi: 0.8, status: 'alert' }], thresholds);
    expect(below.max).toBeCloseTo(0.8);
    expect(below.rows[0]).toMatchObject({ share: 1, broken: false });
    expect(psiBars([{ name: 'A', psi: null, status: 'unknown' }], thresholds).rows[0]).toMatchObject({ share: 0, broken: false });
  });

  it('stacks the threshold labels when their marks are too close for both on one row', () => {
    const labels = { warn: '0.1', alert: '0.25' };
    // PSI 2.07 on an uncapped scale put both marks 14 px apart on a 200 px column: "0.1.25".
    expect(stackScaleLabels({ warn: 0.1 / 2.07, alert: 0.25 / 2.07 }, labels, 200)).toBe(true);
    // The capped scale: 30 px apart on 200 px is enough, 22 px on 150 px is not.
    const capped = psiBars([{ name: 'A', psi: 2.07, status: 'alert' }], { warn: 0.1, alert: 0.25 }).marks;
    expect(stackScaleLabels(capped, labels, 200)).toBe(false);
    expect(stackScaleLabels(capped, labels, 150)).toBe(true);
    // The smallest scale, the usual width.
    expect(stackScaleLabels(psiBars([], { warn: 0.1, alert: 0.25 }).marks, labels, 200)).toBe(false);
    // Thresholds close together, or a column not laid out yet.
    expect(stackScaleLabels({ warn: 0.5, alert: 0.55 }, { warn: '0.2', alert: '0.22' }, 300)).toBe(true);
    expect(stackScaleLabels({ warn: 0.25, alert: 0.625 }, labels, 0)).toBe(true);
    // Longer labels need more room than the least.
    expect(stackScaleLabels({ warn: 0.1, alert: 0.2 }, labels, SCALE_MIN_GAP_PX * 10)).toBe(false);
    expect(stackScaleLabels({ warn: 0.1, alert: 0.2 }, { warn: '0.12345', alert: '0.23456' }, SCALE_MIN_GAP_PX * 10)).toBe(true);
  });

  it('leaves the threshold labels on one row only when they do not overlap there', () => {
    const label = fc.stringMatching(/^0\.\d{1,4}$/);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), label, label, fc.integer({ min: 0, max: 1200 }), (warn, alert, warnText, alertText, width) => {
        if (stackScaleLabels({ warn, alert }, { warn: warnText, alert: alertText }, width)) return;
        // Centred on their marks, 10 px monospace (at most 6.2 px a character): the boxes must not touch.
        const distance = Math.abs(alert - warn) * width;
        expect(distance).toBeGreaterThanOrEqual(((warnText.length + alertText.length) / 2) * 6.2);
        expect(distance).toBeGreaterThanOrEqual(SCALE_MIN_GAP_PX);
      }),
    );
  });

  it('sums each rule over the period, its precision over its mature days apart from the provisional one', () => {
    const answer = health({
      days: ['2018-05-01', '2018-05-02', '2018-05-03', '2018-05-04'].map((dayText, index) => day(dayText, 'm-1', { mature: index < 2 })),
      rules: [
        ruleDay('2018-05-01', 'high-amount', 10, 4),
        ruleDay('2018-05-01', 'night-burst', 2, 0),
        ruleDay('2018-05-02', 'high-amount', 6, 4),
        ruleDay('2018-05-03', 'high-amount', 20, 2, false),
        ruleDay('2018-05-04', 'new-terminal', 30, 0, false),
        ruleDay('2018-05-02', 'night-burst', 2, 1),
      ],
    });
    const rows = ruleRows(answer);
    expect(rows.map((row) => row.ruleId)).toEqual(['high-amount', 'new-terminal', 'night-burst']);
    const [highAmount, newTerminal, nightBurst] = rows;
    expect(highAmount).toMatchObject({
      hits: 36,
      truePositives: 10,
      matureHits: 16,
      matureTruePositives: 8,
      provisionalHits: 20,
      maturePrecision: 0.5,
      precision: 10 / 36,
      provisional: true,
    });
    // Every day of the period, a day without a match at 0.
    expect(highAmount?.perDay).toEqual([
      { day: '2018-05-01', hits: 10, mature: true },
      { day: '2018-05-02', hits: 6, mature: true },
      { day: '2018-05-03', hits: 20, mature: false },
      { day: '2018-05-04', hits: 0, mature: null },
    ]);
    // Only provisional days: no mature precision yet.
    expect(newTerminal).toMatchObject({ hits: 30, maturePrecision: null, precision: 0, provisional: true });
    // Only mature days: both precisions the same, and final.
    expect(nightBurst).toMatchObject({ hits: 4, maturePrecision: 0.25, precision: 0.25, provisional: false });
    expect(nightBurst?.perDay.map((bar) => bar.hits)).toEqual([2, 2, 0, 0]);

    expect(ruleRows(health({ days: answer.days }))).toEqual([]);
    expect(RULES_EMPTY_TEXT).toBe('No active rule matched in the period.');
  });

  it('sums a rule listed twice on a day, provisional when either entry is', () => {
    const [row] = ruleRows(health({ rules: [ruleDay('2018-05-01', 'r', 3, 1), ruleDay('2018-05-01', 'r', 2, 1, false)] }));
    expect(row?.perDay).toEqual([{ day: '2018-05-01', hits: 5, mature: false }]);
    expect(row).toMatchObject({ matureHits: 3, provisionalHits: 2, maturePrecision: 1 / 3, precision: 0.4 });
  });

  it("tells a rule's counts behind its precisions", () => {
    const rows = ruleRows(
      health({
        days: [day('2018-05-01', 'm-1'), day('2018-05-02', 'm-1', { mature: false })],
        rules: [ruleDay('2018-05-01', 'high-amount', 1200, 300), ruleDay('2018-05-02', 'high-amount', 1500, 100, false), ruleDay('2018-05-02', 'new-terminal', 3, 0, false)],
      }),
    );
    const count = (value: number) => new Intl.NumberFormat().format(value);
    expect(ruleTitles(rows[0]!)).toEqual({
      maturePrecision: `300 of ${count(1200)} hits on mature days were fraud`,
      precision: `400 of ${count(2700)} hits were fraud; ${count(1500)} of the hits are on provisional days, whose frauds are not all labelled yet`,
      perDay: `high-amount: hits per day from 2018-05-01 to 2018-05-02, at most ${count(1500)} on 2018-05-02`,
    });
    expect(ruleTitles(rows[1]!)).toMatchObject({ maturePrecision: 'no hit on a mature day yet: its labels are not all in', precision: '0 of 3 hits were fraud; 3 of the hits are on provisional days, whose frauds are not all labelled yet' });
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
