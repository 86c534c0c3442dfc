import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { DEFAULT_LABEL_DELAY_DAYS } from '@fraudstream/shared/features/names';
import { evaluateScores, protocolRows } from '../evaluation.js';
import { evaluationReport, HANDBOOK_BEST, type EvaluatedModel } from '../evaluation-report.js';
import { uplotAssets } from '../html.js';
import { DEFAULT_MODEL_DIR, loadModel, readMetadata } from '../model.js';
import { alertsAtThreshold } from '../promotion.js';
import type { Dataset } from '../replay.js';
import { usageError, dateFlag, integerFlag, isoDay, parseFlags, replayPeriod, required, runCli } from './args.js';

const usage = `Usage: npm run evaluate -- --input FILE --from DAY --to DAY [--model DIR ...] [--report FILE.html] [--json]

Replays the CSV up to --to through the feature engine (from the features' look-back, 37 days, before
--from), scores the transactions in [--from, --to) with each model and prints, under the Fraud
Detection Handbook's protocol: AUC ROC, average precision and card precision@100, and the alerts each
model's threshold raises. On each test day the cards whose fraud was already known are left out
(frauds from --train-days + the label delay before --from, up to the day before the label delay); a
card caught in an earlier day's top 100 is left out of later days. Several --model flags compare the
models on the same payments in one run. The Handbook's published figures are shown beside them only
for its split of its simulated data (test days 2018-08-08 .. 2018-08-14 of a simulation from 2018-04-01).

Options:
  --model DIR          model directory, repeatable (default ${DEFAULT_MODEL_DIR})
  --input FILE         Handbook CSV
  --from DAY           first test day (UTC), e.g. 2018-08-08, or days before today (8d)
  --to DAY             day after the last test day, e.g. 2018-08-15 (or 7d)
  --train-days N       length of the training period before the delay (default 7)
  --report FILE.html   also write a report: ROC and precision–recall curves, card precision@100 per day,
                       score distributions by label, per-feature statistics against training (PSI)
  --json               print the result as JSON (one model: its figures; several: { models: [...] })
  -h, --help           this text`;

/** Whether the window and input are the Handbook's published split, the only place its figures compare. */
function handbookComparison(dataset: Dataset, fromMs: number, toMs: number, trainDays: number): { shown: boolean; note: string } {
  const split = isoDay(fromMs) === '2018-08-08' && isoDay(toMs) === '2018-08-15' && trainDays === 7;
  const simulation = Number.isFinite(dataset.inputFirstMs) && isoDay(dataset.inputFirstMs) === '2018-04-01';
  if (split && simulation) {
    return { shown: true, note: "The Handbook's figures are its published results on this split (train 2018-07-25 .. 07-31, test 2018-08-08 .. 08-14) of its own simulated data: comparable when this input is a simulation of the same kind." };
  }
  return {
    shown: false,
    note: `The Handbook's published figures are not shown: they are for the test days 2018-08-08 .. 2018-08-14 of its simulated data (from 2018-04-01), and this evaluation is of ${isoDay(fromMs)} .. ${isoDay(toMs - 86_400_000)}${simulation ? '' : ' of another history'}.`,
  };
}

async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    model: { type: 'string', multiple: true },
    input: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'train-days': { type: 'string' },
    report: { type: 'string' },
    json: { type: 'boolean' },
  });
  const input = required(flags.input, 'input');
  const fromMs = dateFlag(flags.from, 'from');
  const toMs = dateFlag(flags.to, 'to');
  if (toMs <= fromMs) throw usageError(`Expected --to after --from, got ${isoDay(fromMs)} .. ${isoDay(toMs)}`);
  const trainDays = integerFlag(flags['train-days'], 'train-days', 7, 1);
  if (flags.report !== undefined && !flags.report.endsWith('.html')) throw usageError(`Expected --report to name an .html file, got ${JSON.stringify(flags.report)}`);
  const modelDirs = flags.model ?? [DEFAULT_MODEL_DIR];
  const loaded = await Promise.all(modelDirs.map(async (dir) => ({ model: await loadModel(dir), metadata: await readMetadata(dir) })));

  const dataset = await replayPeriod(input, fromMs, toMs);
  const protocol = { testFromMs: fromMs, trainDays, labelDelayDays: DEFAULT_LABEL_DELAY_DAYS };
  const evaluated: EvaluatedModel[] = [];
  for (const { model, metadata } of loaded) {
    const scores = await model.predict(dataset.features, dataset.n);
    evaluated.push({ metadata, scores, evaluation: evaluateScores(dataset, scores, protocol), alerts: alertsAtThreshold(scores, dataset.fraud, model.threshold) });
  }
  const handbook = handbookComparison(dataset, fromMs, toMs, trainDays);
  if (flags.report !== undefined) {
    const html = evaluationReport({ input: basename(input), fromMs, toMs, dataset, rows: protocolRows(dataset, protocol).rows, models: evaluated, handbook }, await uplotAssets());
    await writeFile(flags.report, html);
  }

  const reports = evaluated.map(({ metadata, evaluation, alerts }) => ({ model: metadata.version, input, from: isoDay(fromMs), to: isoDay(toMs), ...evaluation, alerts }));
  if (flags.json) {
    console.log(JSON.stringify(reports.length === 1 ? reports[0] : { input, from: isoDay(fromMs), to: isoDay(toMs), models: reports }, null, 2));
    return;
  }
  const first = evaluated[0]!.evaluation;
  console.log(`test ${isoDay(fromMs)} .. ${isoDay(toMs - 86_400_000)}: ${first.rows} transactions (${first.frauds} frauds), ${first.knownCompromisedRows} of known-compromised cards left out`);
  const column = 20;
  const line = (name: string, cells: string[], handbookCell: string): string => `${name.padEnd(21)}${cells.map((cell) => cell.padEnd(column)).join('')}${handbook.shown ? handbookCell : ''}`.trimEnd();
  const numbers = (pick: (model: EvaluatedModel) => number, digits = 3): string[] => evaluated.map((model) => (Number.isFinite(pick(model)) ? pick(model).toFixed(digits) : 'n/a'));
  evaluated.forEach((model, index) => console.log(`model ${index + 1}: ${model.metadata.version}`));
  console.log(line('metric', evaluated.map((_, index) => `model ${index + 1}`), 'Handbook best (tuned XGBoost)'));
  console.log(line('AUC ROC', numbers((m) => m.evaluation.aucRoc), String(HANDBOOK_BEST.aucRoc)));
  console.log(line('average precision', numbers((m) => m.evaluation.averagePrecision), String(HANDBOOK_BEST.averagePrecision)));
  console.log(line('card precision@100', numbers((m) => m.evaluation.cardPrecisionAt100), String(HANDBOOK_BEST.cardPrecisionAt100)));
  console.log(line('alerts at threshold', evaluated.map((m) => String(m.alerts.alerts)), ''));
  console.log(line('  their precision', numbers((m) => m.alerts.precision), ''));
  console.log(line('  frauds they catch', numbers((m) => m.alerts.recall), ''));
  for (const [index, model] of evaluated.entries()) {
    console.log(`per day, model ${index + 1}: ${model.evaluation.cardPrecisionPerDay.map((day) => `${day.day} ${day.precision.toFixed(2)}`).join(', ')}`);
  }
  console.log(handbook.note);
  if (flags.report !== undefined) console.log(`report → ${flags.report}`);
}

runCli(usage, main);
