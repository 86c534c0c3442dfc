import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '@fraudstream/shared';
import type { Evaluation } from '../src/evaluation.js';
import type { ModelMetadata } from '../src/model.js';
import { alertsAtThreshold, comparisonTable, matureUntilMs, promotionProblems, windowProblems, type Side, type Window } from '../src/promotion.js';

const ms = (day: string): number => Date.parse(`${day}T00:00:00Z`);

function metadata(version: string, training: Record<string, unknown> = { from: '2026-10-01', to: '2026-10-20' }, featureNames: string[] = [...FEATURE_NAMES]): ModelMetadata {
  return {
    formatVersion: 1,
    version,
    createdAt: '2026-11-01T00:00:00.000Z',
    featureNames,
    normalisation: { mean: [], std: [] },
    threshold: { value: 0.5, method: 'test' },
    training,
    validation: { rows: 10, frauds: 1, aucRoc: 0.9, averagePrecision: 0.7 },
  };
}

function evaluation(averagePrecision: number, cardPrecisionAt100: number, extra: Partial<Evaluation> = {}): Evaluation {
  return { rows: 1000, frauds: 40, knownCompromisedRows: 10, aucRoc: 0.88, averagePrecision, cardPrecisionAt100, cardPrecisionPerDay: [], ...extra };
}

const side = (meta: ModelMetadata, result: Evaluation): Side => ({ metadata: meta, evaluation: result, alerts: { threshold: 0.5, alerts: 30, precision: 0.8, recall: 0.6 } });

// Test days 2026-11-01 .. 2026-11-07; the input runs to 2026-11-20, so their labels are in.
const window: Window = { fromMs: ms('2026-11-01'), toMs: ms('2026-11-08'), inputLastMs: ms('2026-11-20') + 3_600_000, labelDelayDays: 7 };
const serving = side(metadata('serving'), evaluation(0.7, 0.3));

describe('promotionProblems (the gate)', () => {
  it('promotes a candidate as good as the serving model, or worse only within the tolerance', () => {
    expect(promotionProblems(serving, side(metadata('better'), evaluation(0.72, 0.31)), window)).toEqual([]);
    expect(promotionProblems(serving, side(metadata('within'), evaluation(0.696, 0.291)), window)).toEqual([]);
  });

  it('refuses a candidate worse in average precision or card precision@100, naming both figures', () => {
    expect(promotionProblems(serving, side(metadata('worse-ap'), evaluation(0.69, 0.3)), window)).toEqual([
      'average precision 0.690 is below the serving model\'s 0.700 by more than 0.005',
    ]);
    expect(promotionProblems(serving, side(metadata('worse-cp'), evaluation(0.7, 0.28)), window)).toEqual([
      'card precision@100 0.280 is below the serving model\'s 0.300 by more than 0.01',
    ]);
    expect(promotionProblems(serving, side(metadata('loose'), evaluation(0.69, 0.28)), window, { averagePrecision: 0.02, cardPrecisionAt100: 0.05 })).toEqual([]);
  });

  it('refuses a degenerate candidate: trained on an unsound input, not ranking, other features', () => {
    const incomplete = metadata('incomplete', { from: '2026-10-01', to: '2026-10-20', inputProblems: ['the input starts 2026-10-01, but the features look back 37 days'] });
    expect(promotionProblems(serving, side(incomplete, evaluation(0.75, 0.35)), window)[0]).toMatch(/--allow-incomplete on an unsound input: the input starts 2026-10-01/);
    expect(promotionProblems(serving, side(metadata('flat'), evaluation(0.01, 0.01, { aucRoc: 0.5 })), window)[0]).toBe('it does not rank frauds above legitimate payments (AUC ROC 0.500)');
    const reordered = [...FEATURE_NAMES].reverse();
    expect(promotionProblems(serving, side(metadata('other', undefined, reordered), evaluation(0.75, 0.35)), window)[0]).toMatch(/its features differ/);
  });

  it('refuses a comparison on days the candidate was trained on, or without frauds', () => {
    const overlapping = metadata('overlap', { from: '2026-10-10', to: '2026-11-03' });
    expect(promotionProblems(serving, side(overlapping, evaluation(0.9, 0.5)), window)).toEqual([
      'it was trained on days up to 2026-11-03, inside the window from 2026-11-01: its figures there are not a test. Evaluate on later days',
    ]);
    // training.to is the day after the last training day: ending on the window's first day is no overlap
    expect(promotionProblems(serving, side(metadata('adjacent', { from: '2026-10-10', to: '2026-11-01' }), evaluation(0.7, 0.3)), window)).toEqual([]);
    const noFraud = evaluation(Number.NaN, 0, { frauds: 0, aucRoc: Number.NaN });
    expect(promotionProblems(side(metadata('serving'), noFraud), side(metadata('any'), noFraud), window)[0]).toMatch(/holds no fraud/);
  });
});

describe('the label-delay window', () => {
  it('ends a label delay before the input does', () => {
    expect(new Date(matureUntilMs(ms('2026-11-20') + 3_600_000, 7)).toISOString().slice(0, 10)).toBe('2026-11-14');
    expect(windowProblems(window)).toEqual([]);
    expect(windowProblems({ ...window, toMs: ms('2026-11-14') })).toEqual([]);
    expect(windowProblems({ ...window, toMs: ms('2026-11-15') })).toEqual([
      'the window ends 2026-11-14, but labels arrive up to 7 days late and the input ends 2026-11-20: the frauds of the days from 2026-11-14 on may not be known yet. End --to by 2026-11-14',
    ]);
  });
});

describe('alertsAtThreshold', () => {
  it('counts alerts, their precision and the share of frauds caught', () => {
    expect(alertsAtThreshold([0.9, 0.8, 0.2, 0.6, 0.1], [1, 0, 1, 1, 0], 0.6)).toEqual({ threshold: 0.6, alerts: 3, precision: 2 / 3, recall: 2 / 3 });
    expect(alertsAtThreshold([0.1], [0], 0.6)).toMatchObject({ alerts: 0, precision: Number.NaN, recall: Number.NaN });
  });
});

describe('comparisonTable', () => {
  it('shows both models and the differences on one line per figure', () => {
    const table = comparisonTable(serving, side(metadata('candidate'), evaluation(0.72, 0.31)));
    expect(table).toMatch(/^average precision\s+0\.700\s+0\.720\s+\+0\.020$/m);
    expect(table).toMatch(/^card precision@100\s+0\.300\s+0\.310\s+\+0\.010$/m);
    expect(table).toMatch(/^serving {3}serving\ncandidate candidate$/m);
    expect(table).toMatch(/^trained on\s+2026-10-01 \.\. 2026-10-20\s+2026-10-01 \.\. 2026-10-20$/m);
  });
});
