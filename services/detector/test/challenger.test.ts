import { describe, expect, it } from 'vitest';
import type { Transaction } from '@fraudstream/shared';
import { countChallengerOutcomes } from '../src/challenger.js';
import { createDetectorMetrics } from '../src/metrics.js';
import type { Scored, ScoredBatch } from '../src/scoring.js';
import { testLog } from '../../../test/support/kafka.js';

const scored = (score: number, challengerScore: number): Scored => ({
  transaction: { transactionId: `tx-${score}-${challengerScore}` } as Transaction,
  offset: '0',
  score,
  flagged: score >= 0.5,
  decision: score >= 0.5 ? 'review' : null,
  ruleHits: [],
  shadowHits: [],
  ruleFailures: [],
  features: new Float32Array(0),
  suppressed: null,
  challenger: { modelVersion: 'c1', score: challengerScore, threshold: 0.3, flagged: challengerScore >= 0.3 },
});

const batch = (entries: Scored[], challenger: ScoredBatch['challenger']): ScoredBatch => ({ scored: entries, alerts: [], modelVersion: 'm1', threshold: 0.5, predictSeconds: 0, challenger });

async function value(metrics: ReturnType<typeof createDetectorMetrics>, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  // A histogram's series are named <name>_count, _sum and _bucket within its one metric.
  const series = (await metrics.registry.getMetricsAsJSON()).flatMap((metric) => metric.values.map((entry) => ({ ...entry, name: (entry as { metricName?: string }).metricName ?? metric.name })));
  return series.find((entry) => entry.name === name && Object.entries(labels).every(([key, label]) => entry.labels[key] === label))?.value;
}

describe('countChallengerOutcomes', () => {
  it('counts what each model alone would do on the same payments, and both score distributions', async () => {
    const metrics = createDetectorMetrics();
    // champion threshold 0.5, challenger 0.3: both alert, champion only, challenger only ×2, neither
    countChallengerOutcomes(batch([scored(0.9, 0.8), scored(0.6, 0.1), scored(0.2, 0.4), scored(0.1, 0.35), scored(0.1, 0.1)], { modelVersion: 'c1', seconds: 0.01 }), metrics, testLog);
    expect(await value(metrics, 'fraudstream_detector_challenger_agreement_total', { champion: 'alert', challenger: 'alert' })).toBe(1);
    expect(await value(metrics, 'fraudstream_detector_challenger_agreement_total', { champion: 'alert', challenger: 'pass' })).toBe(1);
    expect(await value(metrics, 'fraudstream_detector_challenger_agreement_total', { champion: 'pass', challenger: 'alert' })).toBe(2);
    expect(await value(metrics, 'fraudstream_detector_challenger_agreement_total', { champion: 'pass', challenger: 'pass' })).toBe(1);
    expect(await value(metrics, 'fraudstream_detector_score_count', { model: 'champion' })).toBe(5);
    expect(await value(metrics, 'fraudstream_detector_score_count', { model: 'challenger' })).toBe(5);
    expect(await value(metrics, 'fraudstream_detector_score_sum', { model: 'challenger' })).toBeCloseTo(1.75, 9);
    expect(await value(metrics, 'fraudstream_detector_challenger_errors_total')).toBe(0);
  });

  it('counts a batch the challenger failed on, and nothing else', async () => {
    const metrics = createDetectorMetrics();
    countChallengerOutcomes(batch([scored(0.9, 0.8)], { modelVersion: 'c1', error: new Error('boom') }), metrics, testLog);
    expect(await value(metrics, 'fraudstream_detector_challenger_errors_total')).toBe(1);
    expect(await value(metrics, 'fraudstream_detector_score_count', { model: 'champion' })).toBeUndefined();
  });
});
