import { writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DAY_MS } from '@fraudstream/shared/durations';
import { FraudstreamError } from '@fraudstream/shared/errors';
import { lookbackMs } from '@fraudstream/shared/features/engine';
import { DEFAULT_LABEL_DELAY_DAYS as LABEL_DELAY_DAYS, FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { featureStatistics } from '../feature-stats.js';
import { saveModel, type ModelMetadata } from '../model.js';
import type { Dataset } from '../replay.js';
import { renderReport } from '../report.js';
import { initTensorflow } from '../tensorflow.js';
import { trainModel } from '../train.js';
import { trainingInputProblems } from '../train-checks.js';
import { usageError, addDays, dateFlag, integerFlag, isoDay, parseFlags, replayPeriod, required, runCli } from './args.js';
import { createProgress } from './progress.js';

const usage = `Usage: npm run train -- --input FILE --from DAY --to DAY --out DIR [options]

Replays the transactions of a Handbook-format CSV before --to through the feature engine (fraud
labels delivered 7 days after their transaction; from the features' look-back, 37 days, before --from:
the same features as a replay of every row), then trains the fraud model on the transactions in
[--from, --to). The last --validation-days of that period are held out for early stopping and the
alert threshold (--refit: then each network is trained again from scratch on the whole period,
validation days included, for the epochs early stopping chose). Writes model.json, weights.bin,
metadata.json and report.html to --out.

Refuses (exit 1, nothing written) an input that starts less than the features' look-back before
--from, that ends before the validation days, or that leaves a feature constant over the training
days: each gives a model that looks trained and is not. --allow-incomplete trains anyway, warning.
A DAY is a date (2026-11-20) or days before today (21d).

Options:
  --input FILE            Handbook CSV (TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD)
  --from DAY              first training day (UTC)
  --to DAY                day after the last training day (UTC)
  --out DIR               output directory (created)
  --seed N                seed for initialisation and shuffling (default 0): same seed, same model
  --validation-days N     days held out at the end of the period (default 2)
  --max-epochs N          per network (default 40)
  --members N             networks trained with different seeds and averaged (default 3)
  --refit                 train each network again on every day, validation included, for the epochs
                          early stopping chose (twice the time; docs/model.md#quality measures it)
  --allow-incomplete      train on an input that fails the checks above (experiments), with warnings
  -h, --help              this text`;

/** The rows before the validation days: the ones the networks were fitted on. */
function trainingRows(dataset: Dataset, validationFromMs: number): number[] {
  const rows: number[] = [];
  for (let row = 0; row < dataset.n; row++) if (dataset.timestampMs[row]! < validationFromMs) rows.push(row);
  return rows;
}

async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    input: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string' },
    'validation-days': { type: 'string' },
    'max-epochs': { type: 'string' },
    members: { type: 'string' },
    refit: { type: 'boolean' },
    'allow-incomplete': { type: 'boolean' },
  });
  const input = required(flags.input, 'input');
  const out = resolve(required(flags.out, 'out'));
  const fromMs = dateFlag(flags.from, 'from');
  const toMs = dateFlag(flags.to, 'to');
  const seed = integerFlag(flags.seed, 'seed', 0);
  const validationDays = integerFlag(flags['validation-days'], 'validation-days', 2, 1);
  const maxEpochs = integerFlag(flags['max-epochs'], 'max-epochs', 40, 1);
  const members = integerFlag(flags.members, 'members', 3, 1);
  const validationFromMs = addDays(toMs, -validationDays);
  if (validationFromMs <= fromMs) {
    throw usageError(`Expected --to to be more than --validation-days (${validationDays}) after --from, got ${isoDay(fromMs)} .. ${isoDay(toMs)}`);
  }

  const backend = await initTensorflow();
  const started = Date.now();
  const dataset = await replayPeriod(input, fromMs, toMs);
  const problems = trainingInputProblems(dataset, { fromMs, toMs, validationFromMs, labelDelayDays: LABEL_DELAY_DAYS });
  if (problems.length > 0) {
    const list = problems.map((problem) => `  - ${problem}`).join('\n');
    if (!flags['allow-incomplete']) {
      throw new FraudstreamError('TRAINING_INPUT_INSUFFICIENT', `Refusing to train on ${basename(input)} for ${isoDay(fromMs)} .. ${isoDay(toMs)}:\n${list}\n(--allow-incomplete trains anyway, for an experiment)`);
    }
    console.error(`Training anyway (--allow-incomplete), though:\n${list}`);
  }

  const training = createProgress('train  ');
  const trained = await trainModel(dataset, {
    validationFromMs,
    seed,
    maxEpochs,
    members,
    refit: flags.refit === true,
    onEpoch: (epoch, max, validation) => training.update(epoch / max, `step ${epoch}: validation AP ${validation.averagePrecision.toFixed(4)}`),
    onRefitEpoch: (epoch, epochs) => training.update(epoch / epochs, `refit on every day: epoch ${epoch} of ${epochs}`),
  });
  training.done(String(trained.summary['earlyStopping']));

  const metadata: ModelMetadata = {
    formatVersion: 1,
    version: `mlp-${isoDay(fromMs)}-${isoDay(toMs)}-s${seed}-${trained.versionHash}`,
    createdAt: new Date().toISOString(),
    featureNames: [...FEATURE_NAMES],
    hinges: trained.hinges,
    steps: trained.steps,
    normalisation: trained.normalisation,
    threshold: trained.threshold,
    training: {
      // The file's name only: a committed model must not carry a path of the machine that trained it.
      input: basename(input),
      from: isoDay(fromMs),
      to: isoDay(toMs),
      validationFrom: isoDay(validationFromMs),
      labelDelayDays: LABEL_DELAY_DAYS,
      // What the input held: the features of the first training day look back to its start.
      coverage: { inputFirstDay: isoDay(dataset.inputFirstMs), inputLastDay: isoDay(dataset.inputLastMs), lookBackDays: lookbackMs(LABEL_DELAY_DAYS) / DAY_MS },
      // Trained with --allow-incomplete despite these: whoever promotes it can see why it may be weak.
      ...(problems.length > 0 ? { inputProblems: problems } : {}),
      backend,
      ...trained.summary,
      seconds: Math.round((Date.now() - started) / 1000),
    },
    validation: trained.validation,
    featureStatistics: featureStatistics(dataset.features, trainingRows(dataset, validationFromMs), FEATURE_NAMES),
  };
  await saveModel(out, trained.network, metadata);
  await writeFile(join(out, 'report.html'), renderReport(metadata, { scores: trained.validationScores, labels: trained.validationLabels }, trained.history));
  console.log(
    `${metadata.version} → ${out}\nvalidation (${trained.validation.rows} rows, ${trained.validation.frauds} frauds): AUC ROC ${trained.validation.aucRoc.toFixed(4)}, average precision ${trained.validation.averagePrecision.toFixed(4)}, card precision@100 ${trained.validation.cardPrecisionAt100.toFixed(4)}; threshold ${trained.threshold.value.toFixed(4)}`,
  );
}

runCli(usage, main);
