import { describe, expect, it } from 'vitest';
import { DAY_MS } from '@fraudstream/shared/durations';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import type { Dataset } from '../src/replay.js';
import { trainingInputProblems } from '../src/train-checks.js';

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`);
const width = FEATURE_NAMES.length;

/** Rows one an hour over [from, to), every feature varying except the ones named. */
function dataset(fromIso: string, toIso: string, inputFirstIso: string, constant: string[] = []): Dataset {
  const times: number[] = [];
  for (let at = day(fromIso); at < day(toIso); at += 3_600_000) times.push(at);
  const features = new Float32Array(times.length * width);
  times.forEach((_, row) => FEATURE_NAMES.forEach((name, column) => (features[row * width + column] = constant.includes(name) ? 0 : (row * 7 + column) % 11)));
  return {
    n: times.length,
    features,
    fraud: new Uint8Array(times.length),
    timestampMs: Float64Array.from(times),
    cardIds: times.map(() => 'card-1'),
    csvTransactionIds: times.map((_, index) => String(index)),
    fraudCardsByDay: new Map(),
    inputFirstMs: day(inputFirstIso),
    inputLastMs: times.at(-1) ?? Number.NaN,
  };
}

const period = (fromIso: string, toIso: string) => ({ fromMs: day(fromIso), toMs: day(toIso), validationFromMs: day(toIso) - 2 * DAY_MS, labelDelayDays: 7 });

describe('trainingInputProblems', () => {
  it('has nothing to say about a history that covers the look-back, with every feature varying', () => {
    expect(trainingInputProblems(dataset('2026-10-20', '2026-10-27', '2026-09-01'), period('2026-10-20', '2026-10-27'))).toEqual([]);
  });

  it('names how far the input falls short of the look-back, and the first day it could train from', () => {
    const [problem, ...rest] = trainingInputProblems(dataset('2026-10-20', '2026-10-27', '2026-10-04'), period('2026-10-20', '2026-10-27'));
    expect(rest).toEqual([]);
    expect(problem).toMatch(/starts 2026-10-04, but the features look back 37 days .* it must start by 2026-09-13\. Start --from on or after 2026-11-10/);
  });

  it('names the features that are constant over the training days (validation days aside)', () => {
    const problems = trainingInputProblems(dataset('2026-10-20', '2026-10-27', '2026-09-01', ['TX_DURING_WEEKEND', 'TERMINAL_ID_RISK_7DAY_WINDOW']), period('2026-10-20', '2026-10-27'));
    expect(problems).toEqual([expect.stringMatching(/^2 features are constant over the 120 training rows: TX_DURING_WEEKEND = 0, TERMINAL_ID_RISK_7DAY_WINDOW = 0$/)]);
  });

  it('refuses an input that ends before the validation days, or has no training rows', () => {
    const short = dataset('2026-10-20', '2026-10-23', '2026-09-01');
    expect(trainingInputProblems(short, period('2026-10-20', '2026-10-27'))).toEqual([expect.stringMatching(/ends 2026-10-22, before the validation days from 2026-10-25: give --to on or before 2026-10-23/)]);
    const empty = { ...dataset('2026-10-20', '2026-10-20', '2026-09-01'), inputLastMs: day('2026-10-26') };
    expect(trainingInputProblems(empty, period('2026-10-20', '2026-10-27'))).toEqual([expect.stringMatching(/no transaction in the training days 2026-10-20 \.\. 2026-10-24/)]);
  });
});
