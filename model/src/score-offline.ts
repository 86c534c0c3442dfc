/**
 * `npm run score` over a whole file at once, for files in the simulator's plain form: the CSV read
 * into columns, the feature engine's offline mode, the network's forward pass compiled for this
 * process, on two threads. The output is byte for byte what the streaming path (`scoreRows`) writes
 * for the same file; a file this path does not take (not plain, not in time order) goes the streaming
 * way, and a network the forward pass does not compile is scored by TF.js, as before.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { readHandbookColumns, type HandbookColumns } from '@fraudstream/shared/csv/columnar';
import { FraudstreamError, type ErrorCode } from '@fraudstream/shared/errors';
import { allocatePass, computeCardFeatures, computeOfflineFeatures, inReplayOrder } from '@fraudstream/shared/features/offline';
import { DEFAULT_LABEL_DELAY_DAYS } from '@fraudstream/shared/features/names';
import { forwardPassOf, networkSpecOf } from './forward-pass.js';
import { readModelFiles, type ModelFiles } from './model-files.js';
import { TSX_WORKER_BOOT } from './tsx-worker.js';
import type { HelperFailed, HelperReady, HelperReply, HelperRequest } from './score-offline-worker.js';
import { formatScoreLines, MAX_SCORE_LINE_BYTES, scoreChunks, writeScoreLine, type SharedScoring } from './score-text.js';

/** The first row at or after `ms` (rows are in time order). */
function firstRowAtOrAfter(columns: HandbookColumns, ms: number): number {
  let low = 0;
  let high = columns.n;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (columns.timestampsMs[middle]! < ms) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Reads the CSV as columns if it is plain and in replay order; else undefined (the streaming path reads it). */
export async function readReplayColumns(input: string): Promise<HandbookColumns | undefined> {
  let columns: HandbookColumns | undefined;
  try {
    columns = await readHandbookColumns(input);
  } catch {
    return undefined; // the streaming path reports a file it cannot read
  }
  return columns !== undefined && inReplayOrder(columns) ? columns : undefined;
}

export interface OfflineScoreOptions {
  fromMs: number;
  /** A file path, or a stream (stdout). */
  output: string | Writable;
  modelDir: string;
  onProgress?: (fraction: number, detail: string) => void;
}

/** The helper thread (score-offline-worker.ts): requests answered in order. */
interface Helper {
  ready: Promise<HelperReady>;
  ask(request: HelperRequest): Promise<HelperReply>;
  close(): Promise<void>;
}

/** Starts the helper with the model's files (read here: the helper needs neither zod nor the files). */
function startHelper(files: ModelFiles): Helper {
  const worker = new Worker(TSX_WORKER_BOOT, {
    eval: true,
    execArgv: [],
    workerData: {
      files: { metadata: files.metadata, modelTopology: files.modelTopology, weightSpecs: files.weightSpecs, weightData: files.weightData },
      tsx: import.meta.resolve('tsx/esm/api'),
      entry: new URL('./score-offline-worker.ts', import.meta.url).href,
    },
  });
  const waiting: Array<{ resolve: (reply: HelperReply) => void; reject: (err: Error) => void }> = [];
  let starting: { resolve: (ready: HelperReady) => void; reject: (err: Error) => void } | undefined;
  let failure: Error | undefined;
  const ready = new Promise<HelperReady>((resolve, reject) => (starting = { resolve, reject }));
  ready.catch(() => {});
  worker.on('message', (message: HelperReady | HelperFailed | HelperReply) => {
    if (starting !== undefined) {
      const { resolve, reject } = starting;
      starting = undefined;
      if ('ready' in message && message.ready) resolve(message);
      else if ('ready' in message) reject(new FraudstreamError(message.code as ErrorCode, message.message));
      return;
    }
    waiting.shift()?.resolve(message as HelperReply);
  });
  const fail = (err: Error): void => {
    failure ??= err;
    starting?.reject(err);
    starting = undefined;
    for (const entry of waiting.splice(0)) entry.reject(err);
  };
  worker.on('error', fail);
  const onExit = (code: number): void => fail(new Error(`the offline scoring helper exited with code ${code}`));
  worker.on('exit', onExit);
  return {
    ready,
    ask: (request) =>
      failure
        ? Promise.reject(failure)
        : new Promise<HelperReply>((resolve, reject) => {
            waiting.push({ resolve, reject });
            worker.postMessage(request);
          }),
    async close() {
      worker.off('exit', onExit);
      await worker.terminate();
    },
  };
}

/** A copy of `array` in a SharedArrayBuffer. */
function copyToShared<T extends Float64Array | Int32Array | Uint8Array>(array: T, make: (buffer: SharedArrayBuffer) => T): T {
  const copy = make(new SharedArrayBuffer(array.byteLength));
  copy.set(array);
  return copy;
}

async function writeOutput(output: string | Writable, parts: readonly Uint8Array[]): Promise<void> {
  if (typeof output === 'string') {
    await writeFile(output, parts);
    return;
  }
  for (const part of parts) if (!output.write(part)) await once(output, 'drain');
}

/**
 * Scores every row at or after `fromMs` of a plain CSV in replay order and writes `TRANSACTION_ID,score`
 * lines, as the streaming path (`scoreRows`) does. Both threads work: the card features here while the
 * helper computes the terminal features and then scores the rows of each card as its features are
 * written; this thread joins the scoring when its pass is done (chunks of rows taken in turn), and each
 * formats half the lines. Returns the model's version and how many scores were written, or undefined,
 * having written nothing, for a file this path does not take (then the streaming path scores it).
 */
export async function scoreCsvOffline(input: string, options: OfflineScoreOptions): Promise<{ written: number; version: string } | undefined> {
  const files = await readModelFiles(options.modelDir);
  const model = forwardPassOf(networkSpecOf(files.modelTopology, files.weightSpecs, files.weightData), files.metadata);
  // The helper starts (and compiles the network) while the file is read.
  const helper = model === undefined ? undefined : startHelper(files);
  try {
    const columns = await readReplayColumns(input);
    if (columns === undefined) return undefined;
    const fromIndex = firstRowAtOrAfter(columns, options.fromMs);
    const count = columns.n - fromIndex;
    if (model === undefined || helper === undefined) {
      // A network the forward pass does not compile: TF.js scores, in its worker. (Imported here: the
      // streaming path's module loads the rules engine, which this path does not need.)
      const { startScoreWorker } = await import('./score.js');
      const scorer = await startScoreWorker(options.modelDir);
      try {
        options.onProgress?.(0.2, 'features');
        const features = computeOfflineFeatures(columns, { fromIndex });
        options.onProgress?.(0.5, 'scoring');
        const scores = await scorer.scores(features, count);
        const bytes = new Uint8Array(HEADER.length + count * MAX_SCORE_LINE_BYTES);
        let end = Buffer.from(bytes.buffer).write(HEADER, 'latin1');
        for (let index = 0; index < count; index++) end = writeScoreLine(bytes, end, columns.transactionIds[fromIndex + index]!, scores[index]!);
        await writeOutput(options.output, [bytes.subarray(0, end)]);
        return { written: count, version: scorer.version };
      } finally {
        await scorer.close();
      }
    }
    const { n } = columns;
    const card = allocatePass(n, true);
    const terminal = allocatePass(n, true);
    const sharedInt = (): Int32Array => new Int32Array(new SharedArrayBuffer(4));
    const shared: SharedScoring = { n, fromIndex, card, terminal, cardReady: sharedInt(), nextChunk: sharedInt(), scores: new Float32Array(new SharedArrayBuffer(n * 4)) };
    await helper.ready;
    options.onProgress?.(0.2, 'features');
    const terminalDone = helper.ask({
      type: 'terminal',
      n,
      fromIndex,
      labelDelayDays: DEFAULT_LABEL_DELAY_DAYS,
      timestampsMs: copyToShared(columns.timestampsMs, (buffer) => new Float64Array(buffer)),
      terminalNumbers: copyToShared(columns.terminalNumbers, (buffer) => new Int32Array(buffer)),
      fraud: copyToShared(columns.fraud, (buffer) => new Uint8Array(buffer)),
      into: terminal,
    });
    // Queued after the terminal pass: the helper then scores chunks as the card pass here finishes them.
    const helperScored = helper.ask({ type: 'score', shared });
    helperScored.catch(() => {});
    computeCardFeatures(columns, fromIndex, card, (done) => {
      Atomics.store(shared.cardReady, 0, done);
      Atomics.notify(shared.cardReady, 0);
    });
    await terminalDone;
    options.onProgress?.(0.5, 'scoring');
    await scoreChunks(model, shared, false);
    await helperScored;
    // Half the lines each.
    const middle = fromIndex + Math.floor(count / 2);
    const transactionIds = copyToShared(columns.transactionIds, (buffer) => new Float64Array(buffer));
    const later = helper.ask({ type: 'format', transactionIds, scores: shared.scores, from: middle, to: n });
    later.catch(() => {});
    const earlier = formatScoreLines(columns.transactionIds, shared.scores, fromIndex, middle);
    const laterReply = await later;
    if (laterReply.type !== 'format') throw new Error('the offline scoring helper answered out of turn');
    options.onProgress?.(0.95, 'writing');
    await writeOutput(options.output, [Buffer.from(HEADER, 'latin1'), earlier, laterReply.lines]);
    return { written: count, version: model.version };
  } finally {
    await helper?.close();
  }
}

const HEADER = 'TRANSACTION_ID,score\n';
