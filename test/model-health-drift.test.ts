import { describe, expect, it } from 'vitest';
import { createFeatureEngine, createMemoryFeatureStore, FEATURE_NAMES, type ScoredTransaction } from '@fraudstream/shared';
import { createSimulator, transactionEventOf } from '../services/producer/src/simulator/simulator.js';
import { computeModelHealth } from '../services/alerts/src/monitoring/model-health.js';
import { modelDirReference } from '../services/alerts/src/monitoring/reference.js';
import { createAlertStore } from '../services/alerts/src/store/alert-store.js';
import { openTestPglite } from '../services/alerts/test/fixtures.js';

const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2018, 3, 1);
const DRIFT_DAY = 10;

/**
 * The drift a newcomer can cause (`--drift-after-days`, `--drift-amount-factor`), seen the way the
 * running system sees it: the simulator's payments through the real feature engine into the payments
 * store, measured against the shipped model's training distributions.
 */
describe('a drift caused with the producer option', () => {
  it('moves the amount features past the alert threshold from the drift day, and leaves them ok before', { timeout: 120_000 }, async () => {
    const simulator = createSimulator({ customers: 1_000, terminals: 2_000, seed: 5, startMs: START_MS, drift: { fromMs: START_MS + DRIFT_DAY * DAY_MS, amountFactor: 2.5, cardTesting: false } });
    const engine = createFeatureEngine(createMemoryFeatureStore(), { labelDelayDays: 7 });
    const store = await createAlertStore(await openTestPglite(), { paymentsKeepDays: 30 });
    const settings = { labelDelayDays: 7, driftWindowMs: DAY_MS, thresholds: { warn: 0.1, alert: 0.25 } };
    const statusOf = async (names: string[]) => {
      const health = await computeModelHealth(store.payments, modelDirReference(), settings, new Date());
      return Object.fromEntries(health.features.filter((feature) => names.includes(feature.name)).map((feature) => [feature.name, feature.status]));
    };
    const streamDays = async (days: number) => {
      for (let day = 0; day < days; day++) {
        const transactions = simulator.nextDay().map(transactionEventOf);
        const rows = await engine.transform(transactions);
        const width = FEATURE_NAMES.length;
        const scores: ScoredTransaction[] = transactions.map((transaction, index) => ({
          schemaVersion: 1,
          transactionId: transaction.transactionId,
          cardId: transaction.cardId,
          timestamp: transaction.timestamp,
          terminalId: transaction.terminalId,
          amount: transaction.amount,
          score: 0.01,
          threshold: 0.5,
          flagged: false,
          modelVersion: 'test',
          features: Array.from(rows.subarray(index * width, (index + 1) * width)),
        }));
        await store.payments.addScores(scores);
      }
    };
    const amountFeatures = ['TX_AMOUNT', 'CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW'];

    await streamDays(DRIFT_DAY);
    expect(await statusOf(amountFeatures)).toEqual({ TX_AMOUNT: 'ok', CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: 'ok' });
    await streamDays(2);
    expect(await statusOf(amountFeatures)).toEqual({ TX_AMOUNT: 'alert', CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: 'alert' });
  });
});
