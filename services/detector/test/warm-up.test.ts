import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR, loadModel } from '@fraudstream/model';
import { createFeatureEngine, createMemoryFeatureStore, type FeatureEngine } from '@fraudstream/shared';
import { decodeMessages, scoreTransactions, splitDecoded } from '../src/scoring.js';
import { warmUp, warmUpTransactions } from '../src/warm-up.js';

const topics = { alerts: 'fraud.alerts', deadLetters: 'transactions.dlq', scored: 'fraud.scores', ruleHits: 'fraud.rule-hits' };

describe('warm-up', () => {
  it('runs the whole batch path on made-up payments, flagged ones with their reasons among them, writing nothing', async () => {
    const model = await loadModel(DEFAULT_MODEL_DIR);
    const { payments } = await warmUp({ model, topics, labelDelayDays: 7, batches: 10 });
    expect(payments).toBe(2 * (1 + 7 + 60 + 250 + 500));

    // The same payments scored as the warm-up scores them: some are alerts, so `explain` ran too.
    const transactions = warmUpTransactions(5000, Date.parse('2018-04-01T00:00:00.000Z'));
    const engine: FeatureEngine = createFeatureEngine(createMemoryFeatureStore(), { labelDelayDays: 7 });
    const messages = transactions.map((transaction, index) => ({ topic: 't', partition: 0, offset: String(index), key: null, value: Buffer.from(JSON.stringify(transaction)) }));
    const { valid, deadLetters } = splitDecoded(decodeMessages(messages));
    expect(deadLetters).toEqual([]);
    const result = await scoreTransactions(valid, engine, model);
    expect(result.alerts.length).toBeGreaterThan(0);
    expect(result.alerts.length).toBeLessThan(transactions.length);
    await engine.close();
  });
});
