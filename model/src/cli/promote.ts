import { basename, join, relative, resolve } from 'node:path';
import { DAY_MS } from '@fraudstream/shared/durations';
import { FraudstreamError } from '@fraudstream/shared/errors';
import { DEFAULT_LABEL_DELAY_DAYS } from '@fraudstream/shared/features/names';
import { evaluateScores } from '../evaluation.js';
import { DEFAULT_MODEL_DIR, loadModel, readMetadata, type FraudModel, type ModelMetadata } from '../model.js';
import { alertsAtThreshold, comparisonTable, DEFAULT_TOLERANCE, matureUntilMs, promotionProblems, windowProblems, type Side, type Window } from '../promotion.js';
import {
  addToRegistry,
  appendHistory,
  defaultRegistryDir,
  pointServingAt,
  readHistory,
  registryVersions,
  resolvedModelDir,
  rollbackTarget,
  servingTarget,
  withRegistryLock,
} from '../registry.js';
import type { Dataset } from '../replay.js';
import { dateFlag, integerFlag, isoDay, lastTransactionMs, parseFlags, replayPeriod, required, runCli, usageError } from './args.js';

const usage = `Usage: npm run promote -- --candidate DIR --input FILE [--from DAY --to DAY] [options]
       npm run promote -- --rollback [--to-version VERSION] [--reason TEXT]
       npm run promote -- --list

Evaluates the serving model and the candidate on the same labelled days of --input under the Fraud
Detection Handbook's protocol (cards already known compromised left out; labels ${DEFAULT_LABEL_DELAY_DAYS} days late, so
the days must end a label delay before the input does), prints them side by side, and promotes the
candidate only when it is not worse: average precision and card precision@100 within the tolerances,
the same features, trained on a sound input (no --allow-incomplete problems) and not on the days it is
evaluated on. Otherwise it prints why, exits 1 and changes nothing.

Promotion is atomic: the candidate is copied into the registry (default: registry/ beside the serving
directory), and the serving directory becomes a link to it, swapped in one rename, so a detector reads
the whole old model or the whole new one. Every version served stays in the registry; history.jsonl
records who promoted or rolled back what, when and why.

Options:
  --candidate DIR          the model to promote (written by npm run train)
  --input FILE             Handbook CSV with labels (npm run export) to compare the two models on
  --from DAY, --to DAY     the days to compare on, [from, to): a date (2026-11-20) or days before today
                           (14d). Default: the 7 days ending a label delay before the input's last day
  --model-dir DIR          the serving directory the detectors watch (default ${DEFAULT_MODEL_DIR})
  --registry DIR           the registry (default: registry/ beside --model-dir)
  --ap-tolerance X         how much lower the candidate's average precision may be (default ${DEFAULT_TOLERANCE.averagePrecision})
  --cp-tolerance X         the same for card precision@100 (default ${DEFAULT_TOLERANCE.cardPrecisionAt100})
  --train-days N           the protocol's training period before the delay (default 7)
  --force --reason TEXT    promote despite the gate, recording the reason and what was overridden
  --dry-run                compare and decide, change nothing
  --rollback               serve again the version the current one replaced (or --to-version VERSION)
  --list                   the registry's versions, the serving one marked, and the history
  -h, --help               this text`;

const flagsSpec = {
  candidate: { type: 'string' },
  input: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'model-dir': { type: 'string' },
  registry: { type: 'string' },
  'ap-tolerance': { type: 'string' },
  'cp-tolerance': { type: 'string' },
  'train-days': { type: 'string' },
  force: { type: 'boolean' },
  reason: { type: 'string' },
  'dry-run': { type: 'boolean' },
  rollback: { type: 'boolean' },
  'to-version': { type: 'string' },
  list: { type: 'boolean' },
} as const;

type Flags = ReturnType<typeof parseFlags<typeof flagsSpec>>;

function toleranceFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(number >= 0 && number <= 1)) throw usageError(`Expected --${flag} to be a number from 0 to 1, got ${JSON.stringify(value)}`);
  return number;
}

const shortPath = (path: string): string => {
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') ? path : fromHere;
};

/** The serving model, loaded from the registry directory its link resolves to now: one consistent version. */
async function servingModel(modelDir: string): Promise<{ model: FraudModel; metadata: ModelMetadata; dir: string }> {
  const dir = await resolvedModelDir(modelDir).catch((err: unknown) => {
    throw new FraudstreamError('MODEL_INVALID', `No serving model in ${modelDir}: ${(err as Error).message}`, { cause: err });
  });
  return { model: await loadModel(dir), metadata: await readMetadata(dir), dir };
}

async function defaultWindow(input: string): Promise<{ fromMs: number; toMs: number }> {
  const lastMs = await lastTransactionMs(input);
  if (lastMs === undefined) throw usageError(`Cannot tell where ${input} ends: give --from and --to`);
  const toMs = matureUntilMs(lastMs, DEFAULT_LABEL_DELAY_DAYS);
  return { fromMs: toMs - 7 * DAY_MS, toMs };
}

async function sideOf(model: FraudModel, metadata: ModelMetadata, dataset: Dataset, window: Window, trainDays: number): Promise<Side> {
  const scores = await model.predict(dataset.features, dataset.n);
  return {
    metadata,
    evaluation: evaluateScores(dataset, scores, { testFromMs: window.fromMs, trainDays, labelDelayDays: window.labelDelayDays }),
    alerts: alertsAtThreshold(scores, dataset.fraud, model.threshold),
  };
}

const metricsOf = (side: Side) => ({
  version: side.metadata.version,
  aucRoc: side.evaluation.aucRoc,
  averagePrecision: side.evaluation.averagePrecision,
  cardPrecisionAt100: side.evaluation.cardPrecisionAt100,
  alerts: side.alerts.alerts,
});

async function promote(flags: Flags, modelDir: string, registryDir: string): Promise<void> {
  const candidateDir = resolve(required(flags.candidate, 'candidate'));
  const input = required(flags.input, 'input');
  if (flags.force && !flags.reason?.trim()) throw usageError('--force needs --reason TEXT: the registry records why the gate was overridden');
  const tolerance = {
    averagePrecision: toleranceFlag(flags['ap-tolerance'], 'ap-tolerance', DEFAULT_TOLERANCE.averagePrecision),
    cardPrecisionAt100: toleranceFlag(flags['cp-tolerance'], 'cp-tolerance', DEFAULT_TOLERANCE.cardPrecisionAt100),
  };
  const trainDays = integerFlag(flags['train-days'], 'train-days', 7, 1);
  if ((flags.from === undefined) !== (flags.to === undefined)) throw usageError('Give both --from and --to, or neither (the 7 days ending a label delay before the input ends)');
  const { fromMs, toMs } = flags.from === undefined ? await defaultWindow(input) : { fromMs: dateFlag(flags.from, 'from'), toMs: dateFlag(flags.to, 'to') };
  if (toMs <= fromMs) throw usageError(`Expected --to after --from, got ${isoDay(fromMs)} .. ${isoDay(toMs)}`);

  const candidate = { model: await loadModel(candidateDir), metadata: await readMetadata(candidateDir) };
  const serving = await servingModel(modelDir);
  if (candidate.metadata.version === serving.metadata.version) {
    console.log(`${candidate.metadata.version} is already serving in ${shortPath(modelDir)}: nothing to do`);
    return;
  }
  const lastMs = await lastTransactionMs(input);
  const early = lastMs === undefined ? [] : windowProblems({ fromMs, toMs, inputLastMs: lastMs, labelDelayDays: DEFAULT_LABEL_DELAY_DAYS });
  if (early.length > 0 && !flags.force) {
    throw new FraudstreamError('PROMOTION_REFUSED', `Refused, nothing changed: ${early.join('; ')}`);
  }

  const dataset = await replayPeriod(input, fromMs, toMs);
  const window: Window = { fromMs, toMs, inputLastMs: dataset.inputLastMs, labelDelayDays: DEFAULT_LABEL_DELAY_DAYS };
  const servingSide = await sideOf(serving.model, serving.metadata, dataset, window, trainDays);
  const candidateSide = await sideOf(candidate.model, candidate.metadata, dataset, window, trainDays);
  const evaluation = servingSide.evaluation;
  console.log(
    `Compared on ${isoDay(fromMs)} .. ${isoDay(toMs - DAY_MS)} of ${shortPath(input)}: ${evaluation.rows} payments, ${evaluation.frauds} frauds ` +
      `(${evaluation.knownCompromisedRows} payments of cards already known compromised left out; labels ${DEFAULT_LABEL_DELAY_DAYS} days late)\n`,
  );
  console.log(comparisonTable(servingSide, candidateSide));
  console.log('');

  const problems = promotionProblems(servingSide, candidateSide, window, tolerance);
  if (problems.length > 0 && !flags.force) {
    throw new FraudstreamError(
      'PROMOTION_REFUSED',
      `Refused: ${candidate.metadata.version} stays out and ${serving.metadata.version} keeps serving, nothing changed:\n${problems.map((problem) => `  - ${problem}`).join('\n')}\n(--force --reason TEXT promotes anyway and records why)`,
    );
  }
  if (problems.length > 0) console.log(`Forced past the gate (${flags.reason}):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  if (flags['dry-run']) {
    console.log(`Would promote ${candidate.metadata.version} (--dry-run: nothing changed)`);
    return;
  }

  await withRegistryLock(registryDir, async () => {
    const now = await readMetadata(modelDir);
    if (now.version !== serving.metadata.version) {
      throw new FraudstreamError('PROMOTION_REFUSED', `Refused: ${now.version} started serving while the models were compared (another promotion); run again`);
    }
    if ((await servingTarget(modelDir)) === undefined) await addToRegistry(registryDir, serving.dir);
    const added = await addToRegistry(registryDir, candidateDir);
    await pointServingAt(modelDir, added.dir);
    await appendHistory(registryDir, {
      action: 'promote',
      version: added.version,
      previous: serving.metadata.version,
      ...(flags.force ? { forced: true, reason: flags.reason!, overridden: problems } : flags.reason ? { reason: flags.reason } : {}),
      comparison: { input: basename(input), from: isoDay(fromMs), to: isoDay(toMs), serving: metricsOf(servingSide), candidate: metricsOf(candidateSide) },
    });
    console.log(
      `Promoted ${added.version}: ${shortPath(modelDir)} → ${shortPath(added.dir)}. The detectors swap it in within MODEL_POLL_MS; ` +
        `${serving.metadata.version} stays in the registry (npm run promote -- --rollback serves it again).`,
    );
  });
}

async function rollback(flags: Flags, modelDir: string, registryDir: string): Promise<void> {
  await withRegistryLock(registryDir, async () => {
    const current = await readMetadata(modelDir);
    const history = await readHistory(registryDir);
    const target = flags['to-version'] ?? rollbackTarget(history, current.version);
    if (target === undefined) {
      throw new FraudstreamError('PROMOTION_REFUSED', `No version before ${current.version} is recorded in ${shortPath(registryDir)}: --list shows the registry, --to-version VERSION serves one of them`);
    }
    if (target === current.version) {
      console.log(`${target} is already serving: nothing to do`);
      return;
    }
    const dir = join(registryDir, target);
    const versions = await registryVersions(registryDir);
    if (!versions.some((version) => version.version === target)) {
      throw new FraudstreamError('PROMOTION_REFUSED', `${target} is not in the registry ${shortPath(registryDir)} (--list shows what is)`);
    }
    await loadModel(dir); // refuses a version this engine can no longer serve (other features)
    if ((await servingTarget(modelDir)) === undefined) await addToRegistry(registryDir, modelDir);
    await pointServingAt(modelDir, dir);
    await appendHistory(registryDir, { action: 'rollback', version: target, previous: current.version, ...(flags.reason ? { reason: flags.reason } : {}) });
    console.log(`Rolled back: ${shortPath(modelDir)} → ${shortPath(dir)} (${current.version} stays in the registry)`);
  });
}

async function list(modelDir: string, registryDir: string): Promise<void> {
  const serving = await readMetadata(modelDir).catch(() => undefined);
  const versions = await registryVersions(registryDir);
  const linked = await servingTarget(modelDir);
  console.log(`Serving ${serving?.version ?? 'nothing'} in ${shortPath(modelDir)}${linked ? ` → ${shortPath(linked)}` : ' (a plain directory: not in the registry until the first promotion)'}`);
  console.log(`Registry ${shortPath(registryDir)}: ${versions.length} version${versions.length === 1 ? '' : 's'}`);
  for (const version of versions) {
    const metadata = await readMetadata(version.dir);
    const marker = version.version === serving?.version ? '*' : ' ';
    console.log(`${marker} ${version.version.padEnd(44)} created ${version.createdAt.slice(0, 16)}  trained ${String(metadata.training['from'] ?? '?')} .. ${String(metadata.training['to'] ?? '?')}  validation AP ${metadata.validation.averagePrecision.toFixed(3)}`);
  }
  const history = await readHistory(registryDir);
  if (history.length > 0) console.log('History:');
  for (const entry of history) {
    console.log(`  ${entry.at.slice(0, 19)} ${entry.by}: ${entry.action} ${entry.previous ?? '(none)'} → ${entry.version}${entry.forced ? ' FORCED' : ''}${entry.reason ? ` (${entry.reason})` : ''}`);
  }
}

async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, flagsSpec);
  const modelDir = resolve(flags['model-dir'] ?? DEFAULT_MODEL_DIR);
  const registryDir = resolve(flags.registry ?? defaultRegistryDir(modelDir));
  const modes = [flags.rollback, flags.list, flags.candidate !== undefined].filter(Boolean).length;
  if (modes !== 1) throw usageError('Give one of --candidate DIR (promote), --rollback or --list');
  if (flags.list) return list(modelDir, registryDir);
  if (flags.rollback) return rollback(flags, modelDir, registryDir);
  return promote(flags, modelDir, registryDir);
}

runCli(usage, main);
