import { DAY_MS } from '@fraudstream/shared/durations';
import { lookbackMs } from '@fraudstream/shared/features/engine';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import type { Dataset } from './replay.js';

const day = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : 'none');
const days = (ms: number): string => `${(ms / DAY_MS).toFixed(ms % DAY_MS === 0 ? 0 : 1)} days`;

/**
 * What makes a training input unsound, in words a person can act on (empty when none):
 * - the input starts after `from` − the features' look-back: the first weeks' card and terminal windows
 *   would be computed over a partial history (every terminal risk 0, as a fresh system gives);
 * - the input ends before the validation days: early stopping and the threshold would have nothing;
 * - a feature is constant over the training days: the model cannot learn from it, and its reasons
 *   would name it ("TX_DURING_WEEKEND 0 vs 0").
 */
export function trainingInputProblems(dataset: Dataset, period: { fromMs: number; toMs: number; validationFromMs: number; labelDelayDays: number }): string[] {
  const problems: string[] = [];
  const needed = period.fromMs - lookbackMs(period.labelDelayDays);
  if (!(dataset.inputFirstMs <= needed)) {
    problems.push(
      `the input starts ${day(dataset.inputFirstMs)}, but the features look back ${days(lookbackMs(period.labelDelayDays))} ` +
        `(30-day windows and ${period.labelDelayDays} days of label delay) from --from ${day(period.fromMs)}: it must start by ${day(needed)}. ` +
        `Start --from on or after ${day(Math.ceil((dataset.inputFirstMs + lookbackMs(period.labelDelayDays)) / DAY_MS) * DAY_MS)}, or give a longer history (npm start -- --backfill-days N, then npm run export)`,
    );
  }
  if (!(dataset.inputLastMs >= period.validationFromMs)) {
    problems.push(`the input ends ${day(dataset.inputLastMs)}, before the validation days from ${day(period.validationFromMs)}: give --to on or before ${day(dataset.inputLastMs + DAY_MS)}`);
  }
  const width = FEATURE_NAMES.length;
  const min = new Float64Array(width).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(width).fill(Number.NEGATIVE_INFINITY);
  let rows = 0;
  for (let row = 0; row < dataset.n; row++) {
    if (dataset.timestampMs[row]! >= period.validationFromMs) continue;
    rows += 1;
    for (let column = 0; column < width; column++) {
      const value = dataset.features[row * width + column]!;
      if (value < min[column]!) min[column] = value;
      if (value > max[column]!) max[column] = value;
    }
  }
  if (rows === 0) problems.push(`no transaction in the training days ${day(period.fromMs)} .. ${day(period.validationFromMs - DAY_MS)}`);
  else {
    const constant = FEATURE_NAMES.filter((_, column) => min[column] === max[column]);
    if (constant.length > 0) problems.push(`${constant.length === 1 ? 'a feature is' : `${constant.length} features are`} constant over the ${rows} training rows: ${constant.map((name) => `${name} = ${min[FEATURE_NAMES.indexOf(name)]}`).join(', ')}`);
  }
  return problems;
}
