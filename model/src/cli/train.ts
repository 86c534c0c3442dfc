import { writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { saveModel, type ModelMetadata } from '../model.js';
import { renderReport } from '../report.js';
import { initTensorflow } from '../tensorflow.js';
import { trainModel } from '../train.js';
import { usageError, addDays, dateFlag, integerFlag, isoDay, parseFlags, replayPeriod, required, runCli } from './args.js';
import { createProgress } from './progress.js';

const usage = `Usage: npm run train -- --input FILE --from YYYY-MM-DD --to YYYY-MM-DD --out DIR [options]

Replays the transactions of a Handbook-format CSV before --to through the feature engine (fraud
labels delivered 7 days after their transaction; from the features' look-back, 37 days, before --from:
the same features as a replay of every row), then trains the fraud model on the transactions in
[--from, --to). The last --validation-days of that period are held out for early stopping and the
alert threshold. Writes model.json, weights.bin, metadata.json and report.html to --out.

Options:
  --input FILE            Handbook CSV (TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD)
  --from DATE             first training day (UTC)
  --to DATE               day after the last training day (UTC)
  --out DIR               output directory (created)
  --seed N                seed for initialisation and shuffling (default 0): same seed, same model
  --validation-days N     days held out at the end of the period (default 2)
  --max-epochs N          per network (default 40)
  --members N             networks trained with different seeds and averaged (default 3)
  -h, --help              this text`;

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

  const training = createProgress('train  ');
  const trained = await trainModel(dataset, {
    validationFromMs,
    seed,
    maxEpochs,
    members,
    onEpoch: (epoch, max, validation) => training.update(epoch / max, `step ${epoch}: validation AP ${validation.averagePrecision.toFixed(4)}`),
  });
  training.done(String(trained.summary['earlyStopping']));

  const metadata: ModelMetadata = {
    formatVersion: 1,
    version: `mlp-${isoDay(fromMs)}-${isoDay(toMs)}-s${seed}-${trained.versionHash}`,
    createdAt: new Date().toISOString(),
    featureNames: [...FEATURE_NAMES],
    hinges: trained.hinges,
    normalisation: trained.normalisation,
    threshold: trained.threshold,
    training: {
      // The file's name only: a committed model must not carry a path of the machine that trained it.
      input: basename(input),
      from: isoDay(fromMs),
      to: isoDay(toMs),
      validationFrom: isoDay(validationFromMs),
      labelDelayDays: 7,
      backend,
      ...trained.summary,
      seconds: Math.round((Date.now() - started) / 1000),
    },
    validation: trained.validation,
  };
  await saveModel(out, trained.network, metadata);
  await writeFile(join(out, 'report.html'), renderReport(metadata, { scores: trained.validationScores, labels: trained.validationLabels }, trained.history));
  console.log(
    `${metadata.version} → ${out}\nvalidation (${trained.validation.rows} rows, ${trained.validation.frauds} frauds): AUC ROC ${trained.validation.aucRoc.toFixed(4)}, average precision ${trained.validation.averagePrecision.toFixed(4)}, card precision@100 ${trained.validation.cardPrecisionAt100.toFixed(4)}; threshold ${trained.threshold.value.toFixed(4)}`,
  );
}

runCli(usage, main);
