// The module, not shared's index: that loads the Kafka and Redis clients.
import { binOf, FeatureStatistics } from '@fraudstream/shared/features/drift';

export { binOf, FeatureStatistics };

const QUANTILES = { p01: 0.01, p05: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 } as const;

const quantileOf = (sorted: Float64Array, q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

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
