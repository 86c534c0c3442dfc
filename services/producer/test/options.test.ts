import { describe, expect, it } from 'vitest';
import { ProducerEnv, loadConfig } from '@fraudstream/shared';
import { DAY_MS } from '@fraudstream/shared';
import { ProducerServiceEnv, environmentWith, parseProducerArgs, planFor, producerSettings, withFlagNames } from '../src/options.js';

function envOf(args: string[]): Record<string, string> {
  const parsed = parseProducerArgs(args);
  if (parsed.help) throw new Error('expected flags, got --help');
  return parsed.env;
}

describe('parseProducerArgs', () => {
  it('turns flags into the environment variables they stand for', () => {
    expect(parseProducerArgs(['--rate', '50', '--backfill-days', '14', '--replay', 'a.csv', '--labels-topic', 'l'])).toEqual({
      help: false,
      env: { PRODUCER_RATE: '50', PRODUCER_BACKFILL_DAYS: '14', PRODUCER_REPLAY_FILE: 'a.csv', LABELS_TOPIC: 'l' },
    });
    expect(parseProducerArgs(['--as-fast-as-possible'])).toEqual({ help: false, env: { PRODUCER_RATE: '0' } });
    expect(parseProducerArgs(['-h'])).toEqual({ help: true });
  });

  it('refuses unknown flags, positionals, missing values and contradictions', () => {
    for (const args of [['--bogus'], ['extra'], ['--rate'], ['--rate', ''], ['--as-fast-as-possible', '--rate', '5']]) {
      expect(() => parseProducerArgs(args), args.join(' ')).toThrow(expect.objectContaining({ code: 'USAGE_INVALID' }));
    }
  });

  it('lets a flag win over its variable, and names the flag in errors', () => {
    const config = loadConfig(ProducerEnv, { PRODUCER_RATE: '10', PRODUCER_SEED: '4', ...envOf(['--rate', '20']) });
    expect(config.PRODUCER_RATE).toBe(20);
    expect(config.PRODUCER_SEED).toBe(4);
    let message = '';
    try {
      loadConfig(ProducerEnv, envOf(['--rate', 'fast']));
    } catch (err) {
      message = withFlagNames((err as Error).message);
    }
    expect(message).toMatch(/PRODUCER_RATE \(--rate\): .*got "fast"/);
  });

  it('waits for the broker forever unless --max-outage says how long', () => {
    expect(loadConfig(ProducerServiceEnv, {}).PRODUCER_MAX_OUTAGE_SECONDS).toBeUndefined();
    expect(loadConfig(ProducerServiceEnv, envOf(['--max-outage', '90'])).PRODUCER_MAX_OUTAGE_SECONDS).toBe(90);
    expect(() => loadConfig(ProducerServiceEnv, envOf(['--max-outage', 'soon']))).toThrow(/PRODUCER_MAX_OUTAGE_SECONDS/);
  });
});

describe('planFor', () => {
  const now = Date.UTC(2026, 10, 25, 6, 30);

  it('starts the simulation the backfill days before today, live from today, 100 tx/s', () => {
    const plan = planFor(loadConfig(ProducerEnv, { PRODUCER_BACKFILL_DAYS: '14' }), now);
    expect(plan.pacing).toEqual({ rate: 100, liveFromMs: Date.UTC(2026, 10, 25) });
    expect(plan.simulation?.startMs).toBe(Date.UTC(2026, 10, 11));
    expect(plan.simulation?.firstTransactionId).toBe((Date.UTC(2026, 10, 11) / DAY_MS) * 1e7);
    expect(plan.labelDelayMs).toBe(7 * DAY_MS);
  });

  it('has no rate cap with a speed or a replay unless asked for', () => {
    expect(planFor(loadConfig(ProducerEnv, { PRODUCER_SPEED: '600' }), now).pacing).toMatchObject({ rate: 0, speed: 600 });
    expect(planFor(loadConfig(ProducerEnv, { PRODUCER_REPLAY_FILE: 'x.csv' }), now)).toEqual({
      pacing: { rate: 0, liveFromMs: Number.NEGATIVE_INFINITY },
      labelDelayMs: 7 * DAY_MS,
    });
    expect(planFor(loadConfig(ProducerEnv, { PRODUCER_REPLAY_FILE: 'x.csv', PRODUCER_RATE: '30' }), now).pacing.rate).toBe(30);
    const start = planFor(loadConfig(ProducerEnv, { PRODUCER_START: '2018-04-01', PRODUCER_BACKFILL_DAYS: '3' }), now);
    expect(start.pacing.liveFromMs).toBe(Date.UTC(2018, 3, 4));
  });
});

describe('the drift options', () => {
  const now = Date.UTC(2026, 10, 25, 6, 30);
  const settingsOf = (args: string[], env: NodeJS.ProcessEnv = {}) => producerSettings(args, env, now);
  const driftOf = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const settings = settingsOf(args, env);
    if (settings.outcome !== 'run') throw new Error(`expected a run, got ${settings.outcome}: ${settings.outcome === 'invalid' ? settings.message : ''}`);
    return settings.plan.simulation?.drift;
  };

  it('are flags for their variables', () => {
    expect(envOf(['--drift-at', '2026-12-01', '--drift-amount-factor', '2', '--drift-scenario'])).toEqual({
      PRODUCER_DRIFT_AT: '2026-12-01',
      PRODUCER_DRIFT_AMOUNT_FACTOR: '2',
      PRODUCER_DRIFT_SCENARIO: 'true',
    });
    expect(envOf(['--drift-after-days', '7'])).toEqual({ PRODUCER_DRIFT_AFTER_DAYS: '7' });
    const config = loadConfig(ProducerServiceEnv, {});
    expect([config.PRODUCER_DRIFT_AT, config.PRODUCER_DRIFT_AFTER_DAYS, config.PRODUCER_DRIFT_AMOUNT_FACTOR, config.PRODUCER_DRIFT_SCENARIO]).toEqual([
      undefined,
      undefined,
      1,
      false,
    ]);
  });

  it('plan no drift without them, and the drift from its day with them', () => {
    expect(driftOf([])).toBeUndefined();
    expect(driftOf(['--backfill-days', '14', '--drift-after-days', '15', '--drift-amount-factor', '3'])).toEqual({
      fromMs: Date.UTC(2026, 10, 26),
      amountFactor: 3,
      cardTesting: false,
    });
    expect(driftOf(['--start', '2018-04-01', '--drift-at', '2018-05-01', '--drift-scenario'])).toEqual({ fromMs: Date.UTC(2018, 4, 1), amountFactor: 1, cardTesting: true });
    expect(driftOf([], { PRODUCER_DRIFT_AFTER_DAYS: '2', PRODUCER_DRIFT_SCENARIO: 'yes' })).toMatchObject({ fromMs: Date.UTC(2026, 10, 27), cardTesting: true });
  });

  it('take the drift day from a flag over either variable', () => {
    const env = { PRODUCER_DRIFT_AT: '2026-12-24', PRODUCER_DRIFT_SCENARIO: 'true' };
    expect(driftOf(['--drift-after-days', '3'], env)?.fromMs).toBe(Date.UTC(2026, 10, 28));
    expect(driftOf(['--drift-at', '2026-12-01'], { PRODUCER_DRIFT_AFTER_DAYS: '3', PRODUCER_DRIFT_SCENARIO: 'true' })?.fromMs).toBe(Date.UTC(2026, 11, 1));
    expect(environmentWith({ PRODUCER_DRIFT_AT: '2026-12-24', PRODUCER_SEED: '3' }, { PRODUCER_DRIFT_AFTER_DAYS: '3' })).toEqual({ PRODUCER_DRIFT_AFTER_DAYS: '3', PRODUCER_SEED: '3' });
    expect(environmentWith({ PRODUCER_DRIFT_AT: '2026-12-24' }, { PRODUCER_SEED: '3' })).toEqual({ PRODUCER_DRIFT_AT: '2026-12-24', PRODUCER_SEED: '3' });
  });

  it.each([
    { case: 'both day flags', args: ['--drift-at', '2026-12-01', '--drift-after-days', '3', '--drift-scenario'], env: {}, error: /Expected one drift day, --drift-at or --drift-after-days, got both/ },
    { case: 'both day variables', args: ['--drift-scenario'], env: { PRODUCER_DRIFT_AT: '2026-12-01', PRODUCER_DRIFT_AFTER_DAYS: '3' }, error: /got both/ },
    { case: 'a factor of 0', args: ['--drift-after-days', '3', '--drift-amount-factor', '0'], env: {}, error: /PRODUCER_DRIFT_AMOUNT_FACTOR \(--drift-amount-factor\): .*>0/ },
    { case: 'a negative factor', args: ['--drift-after-days', '3', '--drift-amount-factor=-2'], env: {}, error: /PRODUCER_DRIFT_AMOUNT_FACTOR \(--drift-amount-factor\)/ },
    { case: 'a factor that is no number', args: ['--drift-after-days', '3', '--drift-amount-factor', 'double'], env: {}, error: /PRODUCER_DRIFT_AMOUNT_FACTOR \(--drift-amount-factor\)/ },
    { case: 'the factor without a day', args: ['--drift-amount-factor', '2'], env: {}, error: /Expected a drift day/ },
    { case: 'the scenario without a day', args: ['--drift-scenario'], env: {}, error: /Expected a drift day/ },
    { case: 'the scenario variable without a day', args: [], env: { PRODUCER_DRIFT_SCENARIO: 'true' }, error: /Expected a drift day/ },
    { case: 'a day without a drift', args: ['--drift-at', '2026-12-01'], env: {}, error: /Expected something to drift/ },
    { case: 'a day before the start', args: ['--start', '2026-12-01', '--drift-at', '2026-11-30', '--drift-scenario'], env: {}, error: /on or after the first simulated day, 2026-12-01/ },
    { case: 'a day that is no date', args: ['--drift-at', '2026-02-30', '--drift-scenario'], env: {}, error: /PRODUCER_DRIFT_AT \(--drift-at\): no such date/ },
    { case: 'a negative day count', args: ['--drift-after-days', '-1', '--drift-scenario'], env: {}, error: /ambiguous|PRODUCER_DRIFT_AFTER_DAYS/ },
    { case: 'a drift with a replay', args: ['--replay', 'package.json', '--drift-after-days', '1', '--drift-scenario'], env: {}, error: /Expected no drift option with --replay/ },
  ])('print the usage after the error for $case', ({ args, env, error }) => {
    const settings = settingsOf(args, env);
    expect(settings.outcome).toBe('invalid');
    if (settings.outcome !== 'invalid') return;
    expect(settings.message).toMatch(error);
    expect(settings.text.startsWith(`${settings.message}\n\nUsage: npm run producer`)).toBe(true);
    expect(settings.text).toContain('--drift-after-days N');
  });

  it('leave --help and the other errors as they were', () => {
    expect(settingsOf(['--help'])).toMatchObject({ outcome: 'help', text: expect.stringContaining('Usage: npm run producer') });
    expect(settingsOf(['--rate', 'fast'])).toMatchObject({ outcome: 'invalid', message: expect.stringMatching(/PRODUCER_RATE \(--rate\)/) });
    expect(settingsOf(['--replay', '/nonexistent/replay.csv'])).toMatchObject({ outcome: 'invalid', message: expect.stringContaining('no such file') });
  });
});
