/**
 * `npm run study -- [options]`: the model's quality over several simulated datasets, training seeds and
 * prequential test weeks, with the project's own replay, training and evaluation code.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHandbookCsv } from '@fraudstream/shared/csv';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { csvTransactionIdOf } from '@fraudstream/shared/ids';
import { addDays, dateFlag, integerFlag, isoDay, parseFlags, replayPeriod, runCli, usageError } from '@fraudstream/model/cli/args';
import { evaluateScores } from '@fraudstream/model/evaluation';
import { fraudModelOf, type ModelMetadata } from '@fraudstream/model/model';
import { sliceDataset, type Dataset } from '@fraudstream/model/replay';
import { initTensorflow } from '@fraudstream/model/tensorflow';
import { trainModel, type TrainOptions } from '@fraudstream/model/train';
import { trainingInputProblems } from '@fraudstream/model/train-checks';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LABEL_DELAY_DAYS = 7;
const TRAIN_DAYS = 7;
const TEST_DAYS = 7;
const XGBOOST = { aucRoc: 0.869, averagePrecision: 0.687, cardPrecisionAt100: 0.303 };
const METRICS = ['aucRoc', 'averagePrecision', 'cardPrecisionAt100'] as const;
type Metric = (typeof METRICS)[number];
const METRIC_LABEL: Record<Metric, string> = { aucRoc: 'AUC', averagePrecision: 'AP', cardPrecisionAt100: 'CP@100' };

const usage = `Usage: npm run study -- [options]

Measures the model the way the Fraud Detection Handbook tests it, over several simulated datasets,
training seeds and test weeks. For each simulator seed in --datasets it generates the Handbook-sized
CSV (183 days from 2018-04-01; kept in --data-dir and reused), replays it once through the feature
engine and, for each run, trains with the project's trainModel on a 7-day window (its last
--validation-days held out) and evaluates the next-but-one week with evaluateScores (known-compromised
cards left out, 7-day label delay):

  week 0: train 2018-07-25 .. 07-31, test 2018-08-08 .. 08-14, with every training seed in --seeds
  week k: the same split shifted by 7·k days (prequential), with the first seed of --seeds

Beside each run it gives two ceilings of its test week: card precision@100 of a perfect ranking, and
the AUC ROC, AP and card precision@100 of a ranking that puts first every fraud a model can know of
(all but the simulator's compromised-terminal frauds on a terminal with no fraud known yet, which
look like any payment until labels come; read from the CSV's TX_FRAUD_SCENARIO).

Prints a line per run, then tables per run and a summary: mean ± std (sample) and worst of AUC ROC,
average precision and card precision@100 over the (dataset, seed) pairs of week 0 and over the
(dataset, week) pairs, and the spread of AP across seeds on each dataset. Each run's result is kept in
--out/runs/ and reused by a later study with the same flags (the flags, not the code: after changing
the training code, give a new --out), so studies can be split across
processes (--datasets 1,2 and --datasets 3,4,5) and summed up by one more; --out/results.json holds
every run and the summary.

Options:
  --datasets LIST         simulator seeds, comma-separated (default 1,2,3,4,5; seed 0 is the one the
                          model's choices were made on)
  --seeds LIST            training seeds on week 0 (default 0,1,2)
  --weeks N               test weeks, week 0 first (default 4)
  --start DAY             first training day of week 0 (default 2018-07-25)
  --data-dir DIR          where the datasets are kept (default tmp/study/data)
  --out DIR               where the results go (default tmp/study/results)
  --validation-days N     training days held out for early stopping and the threshold (default 2)
  --members N             networks averaged (default: trainModel's)
  --max-epochs N          per network (default: trainModel's)
  --patience N            epochs without improvement before stopping (default: trainModel's)
  --fraud-weight N        weight of a fraud row in the loss (default: trainModel's)
  --early-stopping M      averagePrecision or loss: what early stopping watches (default: trainModel's)
  --refit yes|no          train again on every day, validation included, for the epochs early stopping
                          chose (default: trainModel's)
  --kept-only             train nothing: sum up the results kept in --out (a study still running elsewhere)
  -h, --help              this text

Example (a quick one): npm run study -- --datasets 1,2 --seeds 0 --weeks 1 --out tmp/study/quick`;

interface StudyOptions {
  datasets: number[];
  seeds: number[];
  weeks: number;
  startMs: number;
  dataDir: string;
  out: string;
  validationDays: number;
  keptOnly: boolean;
  train: Pick<TrainOptions, 'members' | 'maxEpochs' | 'patience' | 'fraudWeight' | 'earlyStopping' | 'refit'>;
}

interface RunSpec {
  dataset: number;
  week: number;
  seed: number;
}

type Scores = Record<Metric, number>;

interface RunResult extends RunSpec {
  /** The options that decide the run's result, compared before a kept result is reused. */
  key: string;
  trainFrom: string;
  trainTo: string;
  testFrom: string;
  testTo: string;
  test: Scores & { rows: number; frauds: number; knownCompromisedRows: number };
  /** Card precision@100 of a perfect ranking: the compromised cards left to find, per day, over 100 (absent in results kept from before it was added). */
  cardPrecisionCeiling?: number;
  /**
   * What a ranking reaches that puts first every fraud a model could know of: all but the
   * compromised-terminal frauds (the simulator's scenario 2) on a terminal with no fraud known yet,
   * which nothing in the data tells from legitimate payments until their labels come.
   */
  knowableCeiling?: Scores;
  validation: Scores;
  bestEpochs: unknown;
  inputProblems: string[];
  seconds: number;
}

function integerList(value: string | undefined, flag: string, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const items = value.split(',').map((item) => item.trim());
  if (items.length === 0 || items.some((item) => !/^\d+$/.test(item))) {
    throw usageError(`Expected --${flag} to be comma-separated whole numbers (1,2,3), got ${JSON.stringify(value)}`);
  }
  const numbers = items.map(Number);
  if (new Set(numbers).size !== numbers.length) throw usageError(`Expected --${flag} without repeats, got ${JSON.stringify(value)}`);
  return numbers;
}

function optionalInteger(value: string | undefined, flag: string, min: number): number | undefined {
  return value === undefined ? undefined : integerFlag(value, flag, 0, min);
}

function parseOptions(argv: string[]): StudyOptions {
  const flags = parseFlags(argv, {
    datasets: { type: 'string' },
    seeds: { type: 'string' },
    weeks: { type: 'string' },
    start: { type: 'string' },
    'data-dir': { type: 'string' },
    out: { type: 'string' },
    'validation-days': { type: 'string' },
    members: { type: 'string' },
    'max-epochs': { type: 'string' },
    patience: { type: 'string' },
    'fraud-weight': { type: 'string' },
    'early-stopping': { type: 'string' },
    refit: { type: 'string' },
    'kept-only': { type: 'boolean' },
  });
  const fraudWeight = flags['fraud-weight'] === undefined ? undefined : Number(flags['fraud-weight']);
  if (fraudWeight !== undefined && !(Number.isFinite(fraudWeight) && fraudWeight > 0)) {
    throw usageError(`Expected --fraud-weight to be a number > 0, got ${JSON.stringify(flags['fraud-weight'])}`);
  }
  const train: StudyOptions['train'] = {};
  const members = optionalInteger(flags.members, 'members', 1);
  const maxEpochs = optionalInteger(flags['max-epochs'], 'max-epochs', 1);
  const patience = optionalInteger(flags.patience, 'patience', 1);
  if (members !== undefined) train.members = members;
  if (maxEpochs !== undefined) train.maxEpochs = maxEpochs;
  if (patience !== undefined) train.patience = patience;
  if (fraudWeight !== undefined) train.fraudWeight = fraudWeight;
  const earlyStopping = flags['early-stopping'];
  if (earlyStopping !== undefined) {
    if (earlyStopping !== 'averagePrecision' && earlyStopping !== 'loss') throw usageError(`Expected --early-stopping to be averagePrecision or loss, got ${JSON.stringify(earlyStopping)}`);
    train.earlyStopping = earlyStopping;
  }
  if (flags.refit !== undefined) {
    if (flags.refit !== 'yes' && flags.refit !== 'no') throw usageError(`Expected --refit to be yes or no, got ${JSON.stringify(flags.refit)}`);
    train.refit = flags.refit === 'yes';
  }
  const validationDays = integerFlag(flags['validation-days'], 'validation-days', 2, 1);
  if (validationDays >= TRAIN_DAYS) throw usageError(`Expected --validation-days to be below ${TRAIN_DAYS}, got ${validationDays}`);
  return {
    datasets: integerList(flags.datasets, 'datasets', [1, 2, 3, 4, 5]),
    seeds: integerList(flags.seeds, 'seeds', [0, 1, 2]),
    weeks: integerFlag(flags.weeks, 'weeks', 4, 1),
    startMs: flags.start === undefined ? Date.parse('2018-07-25T00:00:00Z') : dateFlag(flags.start, 'start'),
    dataDir: resolve(flags['data-dir'] ?? join(root, 'tmp/study/data')),
    out: resolve(flags.out ?? join(root, 'tmp/study/results')),
    validationDays,
    keptOnly: flags['kept-only'] === true,
    train,
  };
}

/** The runs of a study: every seed on week 0, the first seed on the later weeks. */
function runsOf(options: StudyOptions): RunSpec[] {
  return options.datasets.flatMap((dataset) => [
    ...options.seeds.map((seed) => ({ dataset, week: 0, seed })),
    ...Array.from({ length: options.weeks - 1 }, (_, index) => ({ dataset, week: index + 1, seed: options.seeds[0]! })),
  ]);
}

function periodOf(options: StudyOptions, week: number) {
  const trainFromMs = addDays(options.startMs, 7 * week);
  const trainToMs = addDays(trainFromMs, TRAIN_DAYS);
  const testFromMs = addDays(trainToMs, LABEL_DELAY_DAYS);
  return { trainFromMs, trainToMs, validationFromMs: addDays(trainToMs, -options.validationDays), testFromMs, testToMs: addDays(testFromMs, TEST_DAYS) };
}

/** The simulator's Handbook-sized dataset for a seed, generated once (the same seed gives the same file). */
function datasetFile(options: StudyOptions, seed: number): string {
  const file = join(options.dataDir, `transactions-183d-seed${seed}.csv`);
  if (existsSync(file)) return file;
  console.log(`dataset ${seed}: simulating ${file}`);
  const simulate = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'services/producer/src/cli/simulate.ts'), '--seed', String(seed), '--output', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (simulate.status !== 0) throw new Error(`The simulator failed for seed ${seed} (exit ${simulate.status})`);
  return file;
}

const runFile = (options: StudyOptions, run: RunSpec): string => join(options.out, 'runs', `d${run.dataset}-w${run.week}-s${run.seed}.json`);
const runKey = (options: StudyOptions, run: RunSpec): string =>
  JSON.stringify({ ...run, start: isoDay(options.startMs), validationDays: options.validationDays, train: options.train });

async function keptResult(options: StudyOptions, run: RunSpec): Promise<RunResult | undefined> {
  try {
    const kept = JSON.parse(await readFile(runFile(options, run), 'utf8')) as RunResult;
    return kept.key === runKey(options, run) ? kept : undefined;
  } catch {
    return undefined;
  }
}

const pick = (scores: Scores): Scores => ({ aucRoc: scores.aucRoc, averagePrecision: scores.averagePrecision, cardPrecisionAt100: scores.cardPrecisionAt100 });

const protocolOf = (period: ReturnType<typeof periodOf>) => ({ testFromMs: period.testFromMs, trainDays: TRAIN_DAYS, labelDelayDays: LABEL_DELAY_DAYS });

/** Card precision@100 of a perfect ranking of a week's test days: at most the compromised cards left to find each day, over 100. */
function cardPrecisionCeiling(all: Dataset, options: StudyOptions, week: number): number {
  const period = periodOf(options, week);
  const test = sliceDataset(all, period.testFromMs, period.testToMs);
  return evaluateScores(test, Float32Array.from(test.fraud), protocolOf(period)).cardPrecisionAt100;
}

/** The simulator's scenario of each fraud row of a dataset's CSV (TX_FRAUD_SCENARIO), by its CSV transaction id. */
async function fraudScenarios(file: string): Promise<Map<string, number>> {
  const scenarios = new Map<string, number>();
  for await (const rows of readHandbookCsv(file)) {
    for (const row of rows) if (row.fraud) scenarios.set(csvTransactionIdOf(row.transactionId), row.scenario);
  }
  // A CSV without the column reads as scenario 0 on every row: the ceiling would count every fraud as knowable.
  if (scenarios.size > 0 && [...scenarios.values()].every((scenario) => scenario === 0)) throw new Error(`${file} has no TX_FRAUD_SCENARIO values`);
  return scenarios;
}

const KNOWN_FRAUDS = FEATURE_NAMES.indexOf('TERMINAL_ID_NB_KNOWN_FRAUDS');

function knowableCeiling(all: Dataset, options: StudyOptions, week: number, scenarios: Map<string, number>): Scores {
  const period = periodOf(options, week);
  const test = sliceDataset(all, period.testFromMs, period.testToMs);
  const width = FEATURE_NAMES.length;
  const scores = Float32Array.from(test.fraud, (fraud, row) =>
    fraud === 1 && !(scenarios.get(test.csvTransactionIds[row]!) === 2 && test.features[row * width + KNOWN_FRAUDS] === 0) ? 1 : 0,
  );
  return pick(evaluateScores(test, scores, protocolOf(period)));
}

async function trainAndEvaluate(options: StudyOptions, all: Dataset, scenarios: Map<string, number>, run: RunSpec, backend: string): Promise<RunResult> {
  const started = Date.now();
  const period = periodOf(options, run.week);
  const training = sliceDataset(all, period.trainFromMs, period.trainToMs);
  const inputProblems = trainingInputProblems(training, {
    fromMs: period.trainFromMs,
    toMs: period.trainToMs,
    validationFromMs: period.validationFromMs,
    labelDelayDays: LABEL_DELAY_DAYS,
  });
  const trained = await trainModel(training, { ...options.train, validationFromMs: period.validationFromMs, seed: run.seed });
  const metadata: ModelMetadata = {
    formatVersion: 1,
    version: `study-d${run.dataset}-w${run.week}-s${run.seed}-${trained.versionHash}`,
    createdAt: new Date().toISOString(),
    featureNames: [...FEATURE_NAMES],
    hinges: trained.hinges,
    steps: trained.steps,
    normalisation: trained.normalisation,
    threshold: trained.threshold,
    training: { backend, ...trained.summary },
    validation: trained.validation,
  };
  // Scored as the detector scores: through the FraudModel that loadModel gives.
  const model = fraudModelOf(trained.network, metadata);
  const test = sliceDataset(all, period.testFromMs, period.testToMs);
  const scores = await model.predict(test.features, test.n);
  trained.network.dispose();
  const evaluation = evaluateScores(test, scores, protocolOf(period));
  return {
    ...run,
    key: runKey(options, run),
    trainFrom: isoDay(period.trainFromMs),
    trainTo: isoDay(addDays(period.trainToMs, -1)),
    testFrom: isoDay(period.testFromMs),
    testTo: isoDay(addDays(period.testToMs, -1)),
    test: { ...pick(evaluation), rows: evaluation.rows, frauds: evaluation.frauds, knownCompromisedRows: evaluation.knownCompromisedRows },
    cardPrecisionCeiling: cardPrecisionCeiling(all, options, run.week),
    knowableCeiling: knowableCeiling(all, options, run.week, scenarios),
    validation: pick(trained.validation as Scores),
    bestEpochs: trained.summary['bestEpochs'],
    inputProblems,
    seconds: Math.round((Date.now() - started) / 1000),
  };
}

interface Aggregate {
  count: number;
  mean: Scores;
  std: Scores;
  worst: Scores & Record<`${Metric}Run`, string>;
  beatsXgboost: number;
}

function aggregate(results: RunResult[], name: (result: RunResult) => string): Aggregate | undefined {
  if (results.length === 0) return undefined;
  const mean = {} as Scores;
  const std = {} as Scores;
  const worst = {} as Aggregate['worst'];
  for (const metric of METRICS) {
    const values = results.map((result) => result.test[metric]);
    const average = values.reduce((sum, value) => sum + value, 0) / values.length;
    mean[metric] = average;
    std[metric] = values.length < 2 ? 0 : Math.sqrt(values.reduce((sum, value) => sum + (value - average) ** 2, 0) / (values.length - 1));
    const lowest = results.reduce((low, result) => (result.test[metric] < low.test[metric] ? result : low));
    worst[metric] = lowest.test[metric];
    worst[`${metric}Run`] = name(lowest);
  }
  const beatsXgboost = results.filter((result) => METRICS.every((metric) => result.test[metric] > XGBOOST[metric])).length;
  return { count: results.length, mean, std, worst, beatsXgboost };
}

const f3 = (value: number): string => value.toFixed(3);

function scoresRow(label: string, scores: Scores): string {
  return `${label.padEnd(22)} ${METRICS.map((metric) => f3(scores[metric]).padStart(7)).join(' ')}`;
}

function aggregateLines(title: string, summary: Aggregate | undefined): string[] {
  if (summary === undefined) return [];
  return [
    `${title} (${summary.count}; ${summary.beatsXgboost} beat tuned XGBoost on all three)`,
    `${''.padEnd(22)} ${METRICS.map((metric) => METRIC_LABEL[metric].padStart(7)).join(' ')}`,
    `${'mean ± std'.padEnd(22)} ${METRICS.map((metric) => `${f3(summary.mean[metric])}±${f3(summary.std[metric]).slice(1)}`).join(' ')}`,
    `${'worst'.padEnd(22)} ${METRICS.map((metric) => f3(summary.worst[metric]).padStart(7)).join(' ')}   (${METRICS.map((metric) => `${METRIC_LABEL[metric]} ${summary.worst[`${metric}Run`]}`).join(', ')})`,
    scoresRow('tuned XGBoost', XGBOOST),
  ];
}

function summarise(options: StudyOptions, results: RunResult[]) {
  const week0 = results.filter((result) => result.week === 0);
  const seed0 = results.filter((result) => result.seed === options.seeds[0]);
  const seedSpread = options.datasets.map((dataset) => {
    const values = week0.filter((result) => result.dataset === dataset).map((result) => result.test.averagePrecision);
    return { dataset, seeds: values.length, averagePrecisionSpread: values.length === 0 ? 0 : Math.max(...values) - Math.min(...values) };
  });
  const summary = {
    week0: aggregate(week0, (result) => `d${result.dataset}/s${result.seed}`),
    weeks: aggregate(seed0, (result) => `d${result.dataset}/w${result.week}`),
    weekMeans: Array.from({ length: options.weeks }, (_, week) => ({ week, ...aggregate(seed0.filter((result) => result.week === week), (result) => `d${result.dataset}`) })),
    seedSpread,
    maxAveragePrecisionSpread: Math.max(...seedSpread.map((spread) => spread.averagePrecisionSpread)),
  };
  const lines = ['', `week 0 (train ${isoDay(options.startMs)} +7 d, test from ${isoDay(periodOf(options, 0).testFromMs)}), per dataset and training seed`, `${'dataset / seed'.padEnd(22)}     AUC      AP  CP@100   val AP  CP@100 of a perfect ranking; AUC, AP, CP@100 of a ranking of the knowable frauds first`];
  const ceiling = (result: RunResult): string =>
    (result.cardPrecisionCeiling === undefined ? '' : f3(result.cardPrecisionCeiling).padStart(7)) +
    (result.knowableCeiling === undefined ? '' : `  ${METRICS.map((metric) => f3(result.knowableCeiling![metric]).padStart(7)).join(' ')}`);
  for (const result of week0) lines.push(`${scoresRow(`d${result.dataset} / s${result.seed}`, result.test)}  ${f3(result.validation.averagePrecision).padStart(7)}  ${ceiling(result)}`);
  lines.push('', `per week, seed ${options.seeds[0]}`, `${'dataset / week (test)'.padEnd(22)}     AUC      AP  CP@100   val AP  CP@100 of a perfect ranking; AUC, AP, CP@100 of a ranking of the knowable frauds first`);
  for (const result of seed0) lines.push(`${scoresRow(`d${result.dataset} / w${result.week} (${result.testFrom.slice(5)})`, result.test)}  ${f3(result.validation.averagePrecision).padStart(7)}  ${ceiling(result)}`);
  lines.push('', ...aggregateLines('week 0 over (dataset, seed) pairs', summary.week0));
  lines.push('', ...aggregateLines(`seed ${options.seeds[0]} over (dataset, week) pairs`, summary.weeks));
  lines.push('', 'per week, mean over datasets:');
  for (const week of summary.weekMeans) if (week.mean !== undefined) lines.push(scoresRow(`w${week.week} mean`, week.mean));
  lines.push('', `AP spread across seeds (max − min): ${seedSpread.map((spread) => `d${spread.dataset} ${f3(spread.averagePrecisionSpread)}`).join(', ')}; max ${f3(summary.maxAveragePrecisionSpread)}`);
  return { summary, text: lines.join('\n') };
}

async function main(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  const runs = runsOf(options);
  await mkdir(join(options.out, 'runs'), { recursive: true });
  await mkdir(options.dataDir, { recursive: true });
  const backend = await initTensorflow();
  const started = Date.now();
  const results: RunResult[] = [];
  let done = 0;
  for (const datasetSeed of options.datasets) {
    const datasetRuns = runs.filter((run) => run.dataset === datasetSeed);
    const kept = await Promise.all(datasetRuns.map((run) => keptResult(options, run)));
    let all: Dataset | undefined;
    let scenarios: Map<string, number> | undefined;
    for (const [index, run] of datasetRuns.entries()) {
      let result = kept[index];
      const reused = result !== undefined;
      if (options.keptOnly) {
        if (result === undefined) {
          console.log(`dataset ${run.dataset} week ${run.week} seed ${run.seed}: no kept result (left out of the summary)`);
          continue;
        }
      } else if (result === undefined || result.cardPrecisionCeiling === undefined || result.knowableCeiling === undefined) {
        if (all === undefined || scenarios === undefined) {
          const file = datasetFile(options, datasetSeed);
          scenarios = await fraudScenarios(file);
          const lastWeek = periodOf(options, options.weeks - 1);
          // One replay per dataset, from week 0's first training day to the last test day; runs slice it.
          all = await replayPeriod(file, options.startMs, lastWeek.testToMs);
        }
        // A result kept from before the ceiling was measured gets it without training again.
        result =
          result === undefined
            ? await trainAndEvaluate(options, all, scenarios, run, backend)
            : { ...result, cardPrecisionCeiling: cardPrecisionCeiling(all, options, run.week), knowableCeiling: knowableCeiling(all, options, run.week, scenarios) };
        const file = runFile(options, run);
        await writeFile(`${file}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
        await rename(`${file}.tmp`, file);
      }
      results.push(result);
      done++;
      const test = result.test;
      console.log(
        `[${done}/${runs.length}] dataset ${run.dataset} week ${run.week} seed ${run.seed} (test ${result.testFrom}): ` +
          `AUC ${f3(test.aucRoc)} AP ${f3(test.averagePrecision)} CP@100 ${f3(test.cardPrecisionAt100)}; ` +
          `validation AP ${f3(result.validation.averagePrecision)}, epochs ${String(result.bestEpochs)}; ${reused ? 'kept result' : `${result.seconds} s`}` +
          (result.inputProblems.length > 0 ? `; input problems: ${result.inputProblems.join('; ')}` : ''),
      );
    }
  }
  const { summary, text } = summarise(options, results);
  console.log(text);
  const computeSeconds = results.reduce((sum, result) => sum + result.seconds, 0);
  console.log(`\n${results.length} runs; compute ${(computeSeconds / 60).toFixed(1)} min in the runs (this process: ${((Date.now() - started) / 60000).toFixed(1)} min)`);
  const resultsFile = join(options.out, 'results.json');
  await writeFile(resultsFile, `${JSON.stringify({ options: { ...options, startMs: undefined, start: isoDay(options.startMs) }, computeSeconds, runs: results, summary }, null, 2)}\n`);
  console.log(`results: ${resultsFile}`);
}

runCli(usage, main);
