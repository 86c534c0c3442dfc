import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { transactionFromRow, type HandbookRow } from '@fraudstream/shared/csv';
import { FraudstreamError, type ErrorCode } from '@fraudstream/shared/errors';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { csvTransactionIdOf } from '@fraudstream/shared/ids';
import { decidePayment, type RuleBook, type RuleFailure, type RuleHit } from '@fraudstream/shared/rules';
import type { FraudModel } from './model.js';
import { replayFeatures } from './replay.js';
import type { ScoreReply, ScoreRequest, ScoreWorkerFailed, ScoreWorkerReady } from './score-worker.js';
import { TSX_WORKER_BOOT } from './tsx-worker.js';

/** Rows are gathered to this many before a predict call: the network is fastest on large batches. */
const PREDICT_ROWS = 65_536;
/** Batches handed to the scorer and not yet written: enough to keep the worker busy, bounded memory. */
const IN_FLIGHT = 2;

/** One CSV line per row: the Handbook's TRANSACTION_ID and the score with 8 significant digits. */
export function scoreLines(transactionIds: readonly string[], scores: Float32Array): string {
  let text = '';
  for (let index = 0; index < transactionIds.length; index++) {
    text += `${csvTransactionIdOf(transactionIds[index]!)},${scores[index]!.toPrecision(8)}\n`;
  }
  return text;
}

const hitsText = (hits: readonly RuleHit[]): string => hits.map((hit) => `${hit.ruleId}@${hit.version}`).join(' ');

/**
 * With rules, one CSV line per row: TRANSACTION_ID, the score, the decision (block, review, or empty:
 * no alert), the active rules that matched and the shadow ones (`id@version`, space-separated), as the
 * detector decides online (an allow hit leaves the decision empty and is listed among the hits).
 */
export function decisionLines(
  rows: readonly HandbookRow[],
  features: Float32Array,
  scores: Float32Array,
  options: { rules: RuleBook; threshold: number; onRuleFailure?: (failure: RuleFailure) => void },
): string {
  const width = FEATURE_NAMES.length;
  let text = '';
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!;
    const score = scores[index]!;
    const outcome = decidePayment(options.rules, {
      transaction: transactionFromRow(row),
      features: features.subarray(index * width, (index + 1) * width),
      score,
      threshold: options.threshold,
    });
    for (const failure of outcome.failures) options.onRuleFailure?.(failure);
    text += `${csvTransactionIdOf(row.transactionId)},${score.toPrecision(8)},${outcome.decision ?? ''},${hitsText(outcome.hits)},${hitsText(outcome.shadowHits)}\n`;
  }
  return text;
}

/** Turns feature rows into `TRANSACTION_ID,score` lines, or into scores; answers in call order. */
export interface RowScorer {
  version: string;
  threshold: number;
  /** The TensorFlow.js backend that scores. */
  backend: string;
  lines(features: Float32Array, n: number, transactionIds: readonly string[]): Promise<string>;
  scores(features: Float32Array, n: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/** A scorer on this thread (tests, small inputs); `backend` as `initTensorflow()` returned it. */
export function scorerOf(model: FraudModel, backend: string): RowScorer {
  return {
    version: model.version,
    threshold: model.threshold,
    backend,
    lines: async (features, n, transactionIds) => scoreLines(transactionIds, await model.predict(features, n)),
    scores: (features, n) => model.predict(features, n),
    close: () => Promise.resolve(),
  };
}

/**
 * Loads the model in a worker thread and scores there, so the model's time overlaps the feature
 * engine's on the main thread. The model is refused there as `loadModel` refuses it (same codes).
 */
export async function startScoreWorker(modelDir: string): Promise<RowScorer> {
  const worker = new Worker(TSX_WORKER_BOOT, {
    eval: true,
    execArgv: [],
    workerData: {
      modelDir,
      tsx: import.meta.resolve('tsx/esm/api'),
      entry: new URL('./score-worker.ts', import.meta.url).href,
    },
  });
  const pending = new Map<number, { resolve: (reply: ScoreReply) => void; reject: (err: Error) => void }>();
  let failure: Error | undefined;
  const fail = (err: Error): void => {
    failure ??= err;
    for (const entry of pending.values()) entry.reject(failure);
    pending.clear();
  };
  // Until the model is loaded, the first message (or an early error or exit) settles start-up; from
  // then on messages are replies. (Never removeAllListeners on a Worker: it has internal ones.)
  let starting: { resolve: (ready: ScoreWorkerReady) => void; reject: (err: Error) => void } | undefined;
  const ready = new Promise<ScoreWorkerReady>((resolve, reject) => (starting = { resolve, reject }));
  worker.on('message', (message: ScoreWorkerReady | ScoreWorkerFailed | ScoreReply) => {
    if (starting !== undefined) {
      const { resolve, reject } = starting;
      starting = undefined;
      if ('ready' in message && message.ready) resolve(message);
      else if ('ready' in message) reject(new FraudstreamError(message.code as ErrorCode, message.message));
      return;
    }
    if (!('id' in message)) return;
    const entry = pending.get(message.id);
    pending.delete(message.id);
    entry?.resolve(message);
  });
  const onError = (err: Error): void => {
    starting?.reject(err);
    starting = undefined;
    fail(err);
  };
  worker.on('error', onError);
  const onExit = (code: number): void => onError(new Error(`the scoring worker exited with code ${code}`));
  worker.on('exit', onExit);
  const started = await ready.catch(async (err: unknown) => {
    worker.off('exit', onExit);
    await worker.terminate();
    throw err;
  });
  let nextId = 0;
  const ask = (features: Float32Array, n: number, transactionIds?: readonly string[]): Promise<ScoreReply> => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    const request: ScoreRequest = { id, features, n, ...(transactionIds ? { transactionIds: transactionIds.join('\n') } : {}) };
    return new Promise<ScoreReply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage(request, [features.buffer as ArrayBuffer]);
    });
  };
  return {
    version: started.version,
    threshold: started.threshold,
    backend: started.backend,
    lines: async (features, n, transactionIds) => {
      const reply = await ask(features, n, transactionIds);
      if (!('lines' in reply)) throw new Error('the scoring worker answered with scores where lines were asked');
      return reply.lines;
    },
    scores: async (features, n) => {
      const reply = await ask(features, n);
      if (!('scores' in reply)) throw new Error('the scoring worker answered with lines where scores were asked');
      return reply.scores;
    },
    async close() {
      worker.off('exit', onExit);
      await worker.terminate();
    },
  };
}

/**
 * Replays the rows through the feature engine (as the detector does online) and writes
 * `TRANSACTION_ID,score` for the rows at or after `fromMs`, TRANSACTION_ID as in the CSV. Rows older
 * than the features' look-back before `fromMs` cannot change a score and are not replayed.
 * Up to IN_FLIGHT batches are being scored while the next rows' features are computed.
 * Returns how many scores were written.
 */
export async function scoreRows(
  rows: AsyncIterable<readonly HandbookRow[]>,
  scorerOrStarting: RowScorer | Promise<RowScorer>,
  options: {
    fromMs: number;
    sink: Writable;
    onScored?: (count: number) => void;
    predictRows?: number;
    /** Decide each payment with these rules too (see decisionLines). */
    rules?: RuleBook;
    onRuleFailure?: (failure: RuleFailure) => void;
  },
): Promise<number> {
  // A scorer still starting (the model loading in its worker) is awaited at the first rows to score:
  // the feature replay does not wait for it.
  const starting = Promise.resolve(scorerOrStarting);
  const width = FEATURE_NAMES.length;
  const predictRows = options.predictRows ?? PREDICT_ROWS;
  const { sink } = options;
  const write = async (text: string): Promise<void> => {
    if (!sink.write(text)) await once(sink, 'drain');
  };
  const { rules } = options;
  await write(rules ? 'TRANSACTION_ID,score,decision,rule_hits,shadow_hits\n' : 'TRANSACTION_ID,score\n');

  let pendingIds: string[] = [];
  let pendingRows: HandbookRow[] = [];
  let pendingFeatures = new Float32Array(predictRows * width);
  const inFlight: Array<{ lines: Promise<string>; count: number }> = [];
  let written = 0;
  const writeOldest = async (): Promise<void> => {
    const oldest = inFlight.shift();
    if (oldest === undefined) return;
    await write(await oldest.lines);
    written += oldest.count;
    options.onScored?.(written);
  };
  const submit = async (): Promise<void> => {
    if (pendingIds.length === 0) return;
    const count = pendingIds.length;
    const scorer = await starting;
    const features = pendingFeatures.subarray(0, count * width);
    let lines: Promise<string>;
    if (rules) {
      // The rules read the features after the model has its copy (the scorer may take the buffer).
      const kept = features.slice();
      const rows = pendingRows;
      const onRuleFailure = options.onRuleFailure;
      lines = scorer.scores(features, count).then((scores) => decisionLines(rows, kept, scores, { rules, threshold: scorer.threshold, ...(onRuleFailure ? { onRuleFailure } : {}) }));
    } else lines = scorer.lines(features, count, pendingIds);
    // A failure surfaces when its turn to be written comes; until then it must not count as unhandled.
    lines.catch(() => {});
    inFlight.push({ lines, count });
    pendingIds = [];
    pendingRows = [];
    pendingFeatures = new Float32Array(predictRows * width);
    while (inFlight.length > IN_FLIGHT) await writeOldest();
  };

  // Rows before fromMs are replayed only as far back as their features reach, and not yielded.
  for await (const batch of replayFeatures(rows, { featuresFromMs: options.fromMs })) {
    const n = batch.rows.length;
    for (let index = 0; index < n; ) {
      // Copy as many rows as fit the pending batch in one go.
      const end = Math.min(n, index + predictRows - pendingIds.length);
      for (let row = index; row < end; row++) pendingIds.push(batch.rows[row]!.transactionId);
      if (rules) for (let row = index; row < end; row++) pendingRows.push(batch.rows[row]!);
      pendingFeatures.set(batch.features.subarray(index * width, end * width), (pendingIds.length - (end - index)) * width);
      index = end;
      if (pendingIds.length === predictRows) await submit();
    }
  }
  await submit();
  while (inFlight.length > 0) await writeOldest();
  return written;
}
