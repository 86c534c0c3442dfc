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

/** A share below this counts as this much in the logarithm: an empty bin would make the index infinite. */
const SHARE_FLOOR = 1e-4;

/**
 * The population stability index of `actual` against `expected` (shares per bin, each summing to 1):
 * Σ (a − e) · ln(a / e). Below 0.1 the populations are alike; 0.1–0.25 moderately shifted; above 0.25
 * shifted enough that a model trained on the one should not be trusted on the other.
 */
export function populationStabilityIndex(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) throw new Error(`expected ${expected.length} bins, got ${actual.length}`);
  let psi = 0;
  for (let bin = 0; bin < expected.length; bin++) {
    const e = Math.max(SHARE_FLOOR, expected[bin]!);
    const a = Math.max(SHARE_FLOOR, actual[bin]!);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/** Counts per bin as shares of their sum (all 0 when there is nothing). */
export function sharesOf(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, count) => sum + count, 0);
  return counts.map((count) => (total === 0 ? 0 : count / total));
}

export const DriftStatus = z.enum(['ok', 'warn', 'alert', 'unknown']);
export type DriftStatus = z.infer<typeof DriftStatus>;

export interface DriftThresholds {
  warn: number;
  alert: number;
}

export const driftStatus = (psi: number | null, { warn, alert }: DriftThresholds): DriftStatus =>
  psi === null ? 'unknown' : psi >= alert ? 'alert' : psi >= warn ? 'warn' : 'ok';
