import { z } from 'zod';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * One feature's distribution over the training rows, kept in the model's metadata: what the model was
 * trained on, for a person comparing two models and for drift monitoring (population stability index
 * over `bins`: training shares per bin, to compare with the shares serving sees).
 */
export const FeatureStatistics = z.object({
  name: z.string(),
  mean: finite,
  std: finite,
  min: finite,
  max: finite,
  /** Share of the training rows where the feature is exactly 0. */
  zeroShare: finite,
  quantiles: z.object({ p01: finite, p05: finite, p25: finite, p50: finite, p75: finite, p95: finite, p99: finite }),
  /** Bin i holds values in [edges[i−1], edges[i]) (the first from −∞, the last to +∞): edges are the distinct training deciles. */
  bins: z.object({ edges: z.array(finite), shares: z.array(finite) }),
});
export type FeatureStatistics = z.infer<typeof FeatureStatistics>;

const QUANTILES = { p01: 0.01, p05: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 } as const;

const quantileOf = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** The first index whose value is > `value` in an ascending array: the bin `value` falls in. */
export function binOf(edges: readonly number[], value: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (edges[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The statistics of every feature column over the given rows of a row-major matrix. */
export function featureStatistics(features: Float32Array, rows: ArrayLike<number>, names: readonly string[]): FeatureStatistics[] {
  const width = names.length;
  const count = rows.length;
  return names.map((name, column) => {
    const values = new Float64Array(count);
    for (let index = 0; index < count; index++) values[index] = features[rows[index]! * width + column]!;
    values.sort();
    let sum = 0;
    let squares = 0;
    let zeros = 0;
    for (const value of values) {
      sum += value;
      squares += value * value;
      if (value === 0) zeros++;
    }
    const mean = count === 0 ? 0 : sum / count;
    const edges = [...new Set([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((q) => quantileOf(values, q)))].filter(Number.isFinite);
    const counts = new Array<number>(edges.length + 1).fill(0);
    for (const value of values) counts[binOf(edges, value)]!++;
    return {
      name,
      mean,
      std: Math.sqrt(Math.max(0, count === 0 ? 0 : squares / count - mean * mean)),
      min: count === 0 ? 0 : values[0]!,
      max: count === 0 ? 0 : values[count - 1]!,
      zeroShare: count === 0 ? 0 : zeros / count,
      quantiles: Object.fromEntries(Object.entries(QUANTILES).map(([key, q]) => [key, count === 0 ? 0 : quantileOf(values, q)])) as FeatureStatistics['quantiles'],
      bins: { edges, shares: counts.map((value) => (count === 0 ? 0 : value / count)) },
    };
  });
}
