import { describe, expect, it } from 'vitest';
import { ProducerEnv, loadConfig } from '@fraudstream/shared';
import { DAY_MS } from '@fraudstream/shared';
import { ProducerServiceEnv, parseProducerArgs, planFor, withFlagNames } from '../src/options.js';

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
