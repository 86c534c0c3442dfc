import { describe, expect, it } from 'vitest';
import { aucRoc, averagePrecision, cardPrecisionAtK, thresholdCurve } from '../src/metrics.js';

describe('aucRoc', () => {
  it('matches hand-computed values, ties counting one half', () => {
    expect(aucRoc([0.9, 0.8, 0.7, 0.1], [1, 1, 0, 0])).toBe(1);
    expect(aucRoc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0])).toBe(0);
    // scikit-learn: roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) == 0.75
    expect(aucRoc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(aucRoc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(aucRoc([0.5, 0.5, 0.2], [1, 0, 0])).toBe(0.75);
    expect(aucRoc([0.3, 0.2], [0, 0])).toBeNaN();
  });
});

describe('averagePrecision', () => {
  it('matches scikit-learn on known cases', () => {
    // average_precision_score([0,0,1,1], [0.1,0.4,0.35,0.8]) == 0.8333…
    expect(averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.8333333, 6);
    expect(averagePrecision([0.9, 0.8, 0.1], [1, 1, 0])).toBe(1);
    // all tied: precision = prevalence
    expect(averagePrecision([0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0])).toBe(0.25);
    expect(averagePrecision([0.5], [0])).toBeNaN();
  });

  it('the curve steps once per distinct score', () => {
    expect(thresholdCurve([0.2, 0.9, 0.9, 0.1], [0, 1, 0, 1])).toEqual([
      { threshold: 0.9, truePositives: 1, falsePositives: 1 },
      { threshold: 0.2, truePositives: 1, falsePositives: 2 },
      { threshold: 0.1, truePositives: 2, falsePositives: 2 },
    ]);
  });
});

describe('cardPrecisionAtK', () => {
  it('ranks cards by their highest score per day and leaves out cards found earlier', () => {
    const rows = [
      { day: 1, card: 'a', score: 0.9, fraud: true },
      { day: 1, card: 'a', score: 0.1, fraud: false },
      { day: 1, card: 'b', score: 0.8, fraud: false },
      { day: 1, card: 'c', score: 0.2, fraud: true },
      { day: 2, card: 'a', score: 0.95, fraud: true }, // found on day 1: left out
      { day: 2, card: 'c', score: 0.1, fraud: false },
      { day: 2, card: 'c', score: 0.7, fraud: true },
      { day: 2, card: 'd', score: 0.5, fraud: false },
    ];
    const result = cardPrecisionAtK(rows, 2);
    expect(result.perDay).toEqual([
      { day: 1, precision: 0.5 },
      { day: 2, precision: 0.5 },
    ]);
    expect(result.mean).toBe(0.5);
    // k larger than the cards of a day still divides by k, as the Handbook does
    expect(cardPrecisionAtK(rows, 4).perDay[0]).toEqual({ day: 1, precision: 0.5 });
  });
});
