import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES, type FeatureStatistics, type ScoredTransaction } from '@fraudstream/shared';
import { createMetrics } from '../../src/metrics.js';
import {
  computeModelHealth,
  createModelHealthMonitor,
  dayQuality,
  emptyQualityCache,
  exportGauges,
  featureDrift,
  lastDays,
  matureBefore,
  MIN_DRIFT_PAYMENTS,
} from '../../src/monitoring/model-health.js';
import type { DriftReference, ReferenceSource } from '../../src/monitoring/reference.js';
import { createAlertStore } from '../../src/store/alert-store.js';
import type { PaymentStore } from '../../src/store/payments.js';
import { testLog } from '../../../../test/support/kafka.js';
import { chargeback, openTestPglite, scoredPayment } from '../fixtures.js';

const DAY_MS = 86_400_000;
const thresholds = { warn: 0.1, alert: 0.25 };
const settings = { labelDelayDays: 7, driftWindowMs: DAY_MS, thresholds };

/** Training bins of every feature: two halves around 0.5 (TX_AMOUNT around 100). */
const reference: DriftReference = {
  modelVersion: 'm1',
  features: FEATURE_NAMES.map((name): FeatureStatistics => {
    const edge = name === 'TX_AMOUNT' ? 100 : 0.5;
    return { name, mean: 0, std: 1, min: 0, max: 1, zeroShare: 0, quantiles: { p01: 0, p05: 0, p25: 0, p50: 0, p75: 0, p95: 0, p99: 0 }, bins: { edges: [edge], shares: [0.5, 0.5] } };
  }),
};
const references = (value: DriftReference = reference): ReferenceSource => ({ dir: 'test', current: () => Promise.resolve(value) });

describe('maturity', () => {
  it('is the label delay after the older of the two streams\' event times', () => {
    const payments = new Date('2018-04-20T12:00:00Z');
    expect(matureBefore({ payments, chargebacks: new Date('2018-04-10T00:00:00Z') }, 7)).toBe(Date.parse('2018-04-03T00:00:00Z'));
    expect(matureBefore({ payments, chargebacks: null }, 7)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('dayQuality', () => {
  it('computes precision, recall and card precision@100 per day and version, and freezes mature days with the cards they found', () => {
    const cache = emptyQualityCache();
    const counts = [
      { day: '2018-04-01', modelVersion: 'm1', payments: 10, alerts: 4, frauds: 2, truePositives: 1 },
      { day: '2018-04-02', modelVersion: 'm1', payments: 10, alerts: 0, frauds: 0, truePositives: 0 },
    ];
    const cards = [
      { day: '2018-04-01', modelVersion: 'm1', card: 'a', score: 0.9, fraud: true },
      { day: '2018-04-01', modelVersion: 'm1', card: 'b', score: 0.1, fraud: false },
      { day: '2018-04-02', modelVersion: 'm1', card: 'a', score: 0.9, fraud: true },
    ];
    const matureUntil = Date.parse('2018-04-02T00:00:00Z');
    const rows = dayQuality(counts, cards, matureUntil, cache);
    expect(rows).toEqual([
      { ...counts[0], precision: 0.25, recall: 0.5, cardPrecisionAt100: 0.01, mature: true },
      // Card a was found on the 1st: left out on the 2nd, so no compromised card is left to find.
      { ...counts[1], precision: null, recall: null, cardPrecisionAt100: 0, mature: false },
    ]);
    expect(cache.mature).toHaveLength(1);
    expect([...(cache.detected.get('m1') ?? [])]).toEqual(['a']);
    // The next computation reads the days after the mature ones only; the frozen day comes back as it was.
    const next = dayQuality([counts[1]!], [cards[2]!], matureUntil, cache);
    expect(next).toEqual(rows);
  });
});

describe('featureDrift', () => {
  it('is 0 for the training shares, unknown with too few payments, and alert for a moved population', () => {
    const half = MIN_DRIFT_PAYMENTS / 2;
    expect(featureDrift('x', [0.5, 0.5], [half, half], thresholds)).toEqual({ name: 'x', psi: 0, status: 'ok' });
    expect(featureDrift('x', [0.5, 0.5], [half - 1, half], thresholds)).toEqual({ name: 'x', psi: null, status: 'unknown' });
    expect(featureDrift('x', undefined, [half, half], thresholds).status).toBe('unknown');
    const moved = featureDrift('x', [0.5, 0.5], [MIN_DRIFT_PAYMENTS * 0.1, MIN_DRIFT_PAYMENTS * 0.9], thresholds);
    expect(moved.status).toBe('alert');
    // Σ (a − e) · ln(a / e) over the two bins: (0.1 − 0.5) ln 0.2 + (0.9 − 0.5) ln 1.8 ≈ 0.879.
    expect(moved.psi).toBeCloseTo((0.1 - 0.5) * Math.log(0.1 / 0.5) + (0.9 - 0.5) * Math.log(0.9 / 0.5), 6);
  });
});

/** A day of payments: `count` of them, every feature at `value` but TX_AMOUNT at `amount`. */
function paymentsOf(day: string, count: number, { amount, value = 0.2, score = 0.1 }: { amount: number; value?: number; score?: number }): ScoredTransaction[] {
  return Array.from({ length: count }, (_, index) => {
    const features = FEATURE_NAMES.map((name) => (name === 'TX_AMOUNT' ? amount : value));
    const timestamp = new Date(Date.parse(`${day}T00:00:00Z`) + Math.floor((index * DAY_MS) / count)).toISOString();
    return scoredPayment(`tx-${day}-${index}`, timestamp, { cardId: `card-${index % 150}`, score, features, amount });
  });
}

async function storeWith(days: Array<[string, ScoredTransaction[]]>): Promise<PaymentStore> {
  const store = await createAlertStore(await openTestPglite(), { paymentsKeepDays: 30 });
  for (const [, payments] of days) await store.payments.addScores(payments);
  return store.payments;
}

describe('computeModelHealth', () => {
  it('serves mature and provisional days, and marks the drifted feature alone', async () => {
    const days: Array<[string, ScoredTransaction[]]> = [];
    // Nine days: amounts half below and half above the training edge, then all above it on the last day.
    for (let day = 1; day <= 9; day++) {
      const date = `2018-04-0${day}`;
      days.push([date, [...paymentsOf(date, 150, { amount: day === 9 ? 300 : 50 }), ...paymentsOf(`${date}`, 150, { amount: 300 }).map((p) => ({ ...p, transactionId: `${p.transactionId}-hi` }))]]);
    }
    const payments = await storeWith(days);
    const fraud = days[0]![1][0]!;
    await payments.addScores([{ ...fraud, transactionId: 'fraud-1', score: 0.9, flagged: true, decision: 'review' }]);
    await payments.addLabels([chargeback({ ...fraud, transactionId: 'fraud-1' }, '2018-04-09T23:00:00.000Z')]);

    const health = await computeModelHealth(payments, references(), settings, new Date('2026-12-04T00:00:00Z'));
    expect(health.watermark?.slice(0, 10)).toBe('2018-04-09');
    // Mature: days ending by min(watermarks) − 7 d = 2018-04-02T23:00 → the 1st only.
    expect(health.days.map((day) => [day.day, day.mature])).toEqual(days.map(([day]) => [day, day === '2018-04-01']));
    expect(health.days[0]).toMatchObject({ payments: 301, alerts: 1, frauds: 1, truePositives: 1, precision: 1, recall: 1, cardPrecisionAt100: 0.01 });
    expect(health.challenger).toBeNull();
    const amount = health.features.find((feature) => feature.name === 'TX_AMOUNT');
    expect(amount?.status).toBe('alert');
    // Every other feature sits in its first training bin: that is a moved population too, the same every day.
    expect(health.features.filter((feature) => feature.status === 'unknown')).toEqual([]);
    expect(health.drift.payments).toBeGreaterThanOrEqual(MIN_DRIFT_PAYMENTS);
    expect(health.score.histogram.recent.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(health.problems).toEqual([]);

    expect(lastDays(health, 3).days.map((day) => day.day)).toEqual(['2018-04-07', '2018-04-08', '2018-04-09']);
  });

  it('says why figures are missing: no chargebacks yet, no training distributions, another model served', async () => {
    const payments = await storeWith([['2018-04-01', paymentsOf('2018-04-01', 10, { amount: 50 })]]);
    const health = await computeModelHealth(payments, references({ modelVersion: 'm0', features: null }), settings, new Date());
    expect(health.problems).toEqual([
      'no chargeback has arrived yet: every day is provisional',
      'model m0 has no feature statistics (trained before they were kept): retrain it with npm run train',
      'drift is measured against model m0 (test) while the newest payments were scored by m1',
      'only 10 payments in the drift window (at least 200 are needed)',
    ]);
    expect(new Set(health.features.map((feature) => feature.status))).toEqual(new Set(['unknown']));
  });

  it('exports the latest mature day and each PSI as gauges', async () => {
    const metrics = createMetrics();
    const day = { day: '2018-04-01', modelVersion: 'm1', payments: 10, alerts: 2, frauds: 4, truePositives: 1, precision: 0.5, recall: 0.25, cardPrecisionAt100: 0.02, mature: true };
    const health = await computeModelHealth(await storeWith([]), references(), settings, new Date());
    exportGauges({ ...health, days: [day, { ...day, day: '2018-04-02', mature: false, precision: 0.9 }], features: [{ name: 'TX_AMOUNT', psi: 0.3, status: 'alert' }] }, metrics);
    const text = await metrics.registry.metrics();
    expect(text).toContain('fraudstream_model_precision{role="champion",model_version="m1"} 0.5');
    expect(text).toContain('fraudstream_model_card_precision_at_100{role="champion",model_version="m1"} 0.02');
    expect(text).toContain('fraudstream_model_feature_psi{feature="TX_AMOUNT"} 0.3');
    expect(text).toContain('fraudstream_model_drift_status{feature="TX_AMOUNT"} 2');
    expect(text).toContain(`fraudstream_model_mature_day_timestamp_seconds{role="champion"} ${Date.parse('2018-04-01T00:00:00Z') / 1000}`);
  });
});

describe('the monitor', () => {
  it('keeps serving the last figures when the database fails, says so, and counts the failure', async () => {
    const payments = await storeWith([['2018-04-01', paymentsOf('2018-04-01', 10, { amount: 50 })]]);
    let down = false;
    const failing = new Proxy(payments, {
      get: (target, key) => (down && typeof target[key as keyof PaymentStore] === 'function' ? () => Promise.reject(new Error('connection refused')) : target[key as keyof PaymentStore]),
    });
    const metrics = createMetrics();
    const monitor = createModelHealthMonitor({ store: failing, references: references(), settings, metrics, log: testLog, refreshMs: 1_000 });
    await expect(monitor.snapshot()).resolves.toMatchObject({ watermark: expect.any(String) as string });
    down = true;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const stale = await monitor.snapshot();
    expect(stale.problems.at(-1)).toMatch(/^model health could not be computed: connection refused \(showing the figures of /);
    expect(monitor.problems()).toEqual(['model health could not be computed: connection refused']);
    expect(await metrics.registry.getSingleMetricAsString('fraudstream_model_health_refresh_failures_total')).toContain(' 1');
    down = false;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await monitor.snapshot();
    expect(monitor.problems()).toEqual([]);
  });
});
