import { describe, expect, it } from 'vitest';
import { binOf, featureStatistics, FeatureStatistics } from '../src/feature-stats.js';

describe('featureStatistics', () => {
  it('describes each column over the chosen rows: moments, quantiles, zeros and decile bins', () => {
    // two columns: 0..99 and a 0/1 flag set on every fourth row; row 100 (value 1000) is not a training row
    const rows = 101;
    const features = new Float32Array(rows * 2);
    for (let row = 0; row < rows; row++) {
      features[row * 2] = row === 100 ? 1000 : row;
      features[row * 2 + 1] = row % 4 === 0 ? 1 : 0;
    }
    const training = Array.from({ length: 100 }, (_, row) => row);
    const [ramp, flag] = featureStatistics(features, training, ['ramp', 'flag']);
    expect(ramp).toMatchObject({ name: 'ramp', mean: 49.5, min: 0, max: 99, zeroShare: 0.01, quantiles: { p01: 1, p50: 50, p99: 99 } });
    expect(ramp!.std).toBeCloseTo(28.866, 3);
    expect(ramp!.bins.edges).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(ramp!.bins.shares).toEqual(new Array(10).fill(0.1));
    expect(flag).toMatchObject({ mean: 0.25, zeroShare: 0.75, bins: { edges: [0, 1], shares: [0, 0.75, 0.25] } });
    expect(() => FeatureStatistics.array().parse([ramp, flag])).not.toThrow();
  });

  it('puts a value in the bin of the edges below it', () => {
    expect([-1, 0, 0.5, 1, 2].map((value) => binOf([0, 1], value))).toEqual([0, 1, 1, 2, 2]);
    expect(binOf([], 5)).toBe(0);
  });
});
