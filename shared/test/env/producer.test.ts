import { describe, expect, it } from 'vitest';
import { FraudstreamError, loadConfig } from '../../src/index.js';
import { ProducerEnv, SIMULATED_RATE } from '../../src/env/producer.js';

describe('ProducerEnv', () => {
  it("defaults to the Handbook's simulation with no history, chargebacks a week later, on the standard topics", () => {
    const env = loadConfig(ProducerEnv, {});
    expect(env).toMatchObject({
      PRODUCER_BACKFILL_DAYS: 0,
      PRODUCER_LABEL_DELAY_DAYS: 7,
      PRODUCER_SEED: 0,
      PRODUCER_CUSTOMERS: 5_000,
      PRODUCER_TERMINALS: 10_000,
      PRODUCER_BATCH_SIZE: 1_000,
      PRODUCER_COMPRESSION: 'none',
      PRODUCER_STATS_INTERVAL_MS: 5_000,
      TRANSACTIONS_TOPIC: 'transactions',
      LABELS_TOPIC: 'fraud.labels',
    });
    // Unset, so that the plan can tell "no cap because of a speed" from "the default rate".
    expect(env.PRODUCER_RATE).toBeUndefined();
    expect(env.PRODUCER_SPEED).toBeUndefined();
    expect(env.PRODUCER_START).toBeUndefined();
    expect(SIMULATED_RATE).toBe(100);
  });

  it('reads numbers from their text, a rate of 0 meaning no cap', () => {
    const env = loadConfig(ProducerEnv, { PRODUCER_RATE: '0', PRODUCER_SPEED: '600', PRODUCER_LABEL_DELAY_DAYS: '0.5', PRODUCER_SEED: '4294967295' });
    expect(env).toMatchObject({ PRODUCER_RATE: 0, PRODUCER_SPEED: 600, PRODUCER_LABEL_DELAY_DAYS: 0.5, PRODUCER_SEED: 4_294_967_295 });
  });

  it.each([
    ['PRODUCER_SPEED', '0'],
    ['PRODUCER_RATE', '-1'],
    ['PRODUCER_TERMINALS', '1'],
    ['PRODUCER_CUSTOMERS', '2.5'],
    ['PRODUCER_SEED', '4294967296'],
    ['PRODUCER_BACKFILL_DAYS', '3651'],
    ['PRODUCER_STATS_INTERVAL_MS', '99'],
    ['PRODUCER_COMPRESSION', 'snappy'],
    ['TRANSACTIONS_TOPIC', 'my transactions'],
    ['LABELS_TOPIC', 'fraud/labels'],
  ])('refuses %s=%s, naming the variable and the value', (variable, value) => {
    expect(() => loadConfig(ProducerEnv, { [variable]: value })).toThrow(FraudstreamError);
    expect(() => loadConfig(ProducerEnv, { [variable]: value })).toThrow(`${variable}: `);
    expect(() => loadConfig(ProducerEnv, { [variable]: value })).toThrow(`(got ${JSON.stringify(value)})`);
  });

  it('takes a start day that is on the calendar, leap days included', () => {
    expect(loadConfig(ProducerEnv, { PRODUCER_START: '2018-04-01' }).PRODUCER_START).toBe('2018-04-01');
    expect(loadConfig(ProducerEnv, { PRODUCER_START: '2020-02-29' }).PRODUCER_START).toBe('2020-02-29');
    for (const day of ['2019-02-29', '2018-02-30', '2018-04-31']) {
      expect(() => loadConfig(ProducerEnv, { PRODUCER_START: day }), day).toThrow(`PRODUCER_START: no such date (got "${day}")`);
    }
  });

  it.each(['2018-4-1', '2018-13-01', '18-04-01'])('refuses the unreadable start day %j as a configuration error', (day) => {
    expect(() => loadConfig(ProducerEnv, { PRODUCER_START: day })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('PRODUCER_START') as unknown }));
  });

  it('takes topic names from the environment', () => {
    const env = loadConfig(ProducerEnv, { TRANSACTIONS_TOPIC: 'e2e-1.transactions', LABELS_TOPIC: 'e2e-1.labels' });
    expect([env.TRANSACTIONS_TOPIC, env.LABELS_TOPIC]).toEqual(['e2e-1.transactions', 'e2e-1.labels']);
  });
});
