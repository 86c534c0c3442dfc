import { DEFAULT_LABEL_DELAY_DAYS } from '@fraudstream/shared/features/names';
import { evaluateScores } from '../evaluation.js';
import { DEFAULT_MODEL_DIR, loadModel } from '../model.js';
import { usageError, dateFlag, integerFlag, isoDay, parseFlags, replayPeriod, required, runCli } from './args.js';

const usage = `Usage: npm run evaluate -- --input FILE --from DAY --to DAY [--model DIR] [--json]

Replays the CSV up to --to through the feature engine (from the features' look-back, 37 days, before
--from), scores the transactions in [--from, --to) with the model and prints, under the Fraud
Detection Handbook's protocol: AUC ROC, average precision and card precision@100. On each test day
the cards whose fraud was already known are left out (frauds from --train-days + the label delay
before --from, up to the day before the label delay); a card caught in an earlier day's top 100 is
left out of later days.

Options:
  --model DIR          model directory (default ${DEFAULT_MODEL_DIR})
  --input FILE         Handbook CSV
  --from DAY           first test day (UTC), e.g. 2018-08-08, or days before today (8d)
  --to DAY             day after the last test day, e.g. 2018-08-15 (or 7d)
  --train-days N       length of the training period before the delay (default 7)
  --json               print the result as JSON
  -h, --help           this text`;

const PUBLISHED = { aucRoc: 0.869, averagePrecision: 0.687, cardPrecisionAt100: 0.303 };

async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    model: { type: 'string' },
    input: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'train-days': { type: 'string' },
    json: { type: 'boolean' },
  });
  const input = required(flags.input, 'input');
  const fromMs = dateFlag(flags.from, 'from');
  const toMs = dateFlag(flags.to, 'to');
  if (toMs <= fromMs) throw usageError(`Expected --to after --from, got ${isoDay(fromMs)} .. ${isoDay(toMs)}`);
  const trainDays = integerFlag(flags['train-days'], 'train-days', 7, 1);
  const modelDir = flags.model ?? DEFAULT_MODEL_DIR;
  const model = await loadModel(modelDir);

  const dataset = await replayPeriod(input, fromMs, toMs);

  const scores = await model.predict(dataset.features, dataset.n);
  const result = evaluateScores(dataset, scores, { testFromMs: fromMs, trainDays, labelDelayDays: DEFAULT_LABEL_DELAY_DAYS });
  const report = { model: model.version, input, from: isoDay(fromMs), to: isoDay(toMs), ...result };
  if (flags.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(`model ${model.version}; test ${report.from} .. ${isoDay(toMs - 1)}: ${result.rows} transactions (${result.frauds} frauds), ${result.knownCompromisedRows} of known-compromised cards left out`);
  console.log('metric               this model   Handbook best (tuned XGBoost)');
  console.log(`AUC ROC              ${result.aucRoc.toFixed(3).padEnd(12)} ${PUBLISHED.aucRoc}`);
  console.log(`average precision    ${result.averagePrecision.toFixed(3).padEnd(12)} ${PUBLISHED.averagePrecision}`);
  console.log(`card precision@100   ${result.cardPrecisionAt100.toFixed(3).padEnd(12)} ${PUBLISHED.cardPrecisionAt100}`);
  console.log(`per day: ${result.cardPrecisionPerDay.map((day) => `${day.day} ${day.precision.toFixed(2)}`).join(', ')}`);
}

runCli(usage, main);
