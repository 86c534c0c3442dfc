/**
 * The second thread of offline scoring (score-offline.ts): it compiles the network too, computes the
 * terminal features while the main thread computes the card features, scores chunks of rows as the
 * card features of each come in (then with the main thread), and formats half the lines. Messages: in, `HelperRequest`; out, one `HelperReady` or `HelperFailed`
 * after start-up, then one `HelperReply` per request, in order. Shared arrays are SharedArrayBuffers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { computeTerminalFeatures, type PassFeatures } from '@fraudstream/shared/features/offline';
import { forwardPassOf, networkSpecOf } from './forward-pass.js';
import type { FraudModel, ModelFiles } from './model-files.js';
import { formatScoreLines, scoreChunks, type SharedScoring } from './score-text.js';

export type HelperRequest =
  | {
      type: 'terminal';
      n: number;
      fromIndex: number;
      labelDelayDays: number;
      timestampsMs: Float64Array;
      terminalNumbers: Int32Array;
      fraud: Uint8Array;
      into: PassFeatures;
    }
  | { type: 'score'; shared: SharedScoring }
  | { type: 'format'; transactionIds: Float64Array; scores: Float32Array; from: number; to: number };
/** `format` answers with its rows' `TRANSACTION_ID,score` lines (transferred). */
export type HelperReply = { type: 'terminal' } | { type: 'score' } | { type: 'format'; lines: Uint8Array };
export interface HelperReady {
  ready: true;
  /** False when the network does not compile: then this helper cannot score. */
  compiled: boolean;
}
export interface HelperFailed {
  ready: false;
  code: string;
  message: string;
}

function serve(files: Omit<ModelFiles, 'inputCount'>): void {
  const port = parentPort;
  if (port === null) throw new Error('score-offline-worker.ts runs as a worker thread');
  let model: FraudModel | undefined;
  try {
    model = forwardPassOf(networkSpecOf(files.modelTopology, files.weightSpecs, files.weightData), files.metadata);
  } catch (err) {
    const failed: HelperFailed = { ready: false, code: 'MODEL_INVALID', message: (err as Error).message };
    port.postMessage(failed);
    return;
  }
  const ready: HelperReady = { ready: true, compiled: model !== undefined };
  port.postMessage(ready);
  let queue = Promise.resolve();
  port.on('message', (request: HelperRequest) => {
    queue = queue.then(async () => {
      if (request.type === 'terminal') {
        computeTerminalFeatures(request, request.fromIndex, request.labelDelayDays, request.into);
        const reply: HelperReply = { type: 'terminal' };
        port.postMessage(reply);
        return;
      }
      if (request.type === 'score') {
        if (model === undefined) throw new Error('the network did not compile in the offline scoring helper');
        await scoreChunks(model, request.shared, true);
        const reply: HelperReply = { type: 'score' };
        port.postMessage(reply);
        return;
      }
      const lines = formatScoreLines(request.transactionIds, request.scores, request.from, request.to);
      const reply: HelperReply = { type: 'format', lines };
      port.postMessage(reply, [lines.buffer as ArrayBuffer]);
    });
  });
}

serve((workerData as { files: Omit<ModelFiles, 'inputCount'> }).files);
