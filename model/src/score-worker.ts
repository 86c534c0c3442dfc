/**
 * The model side of `npm run score`, in a worker thread: it loads the model, then turns feature rows
 * into `TRANSACTION_ID,score` lines while the main thread computes the next rows' features. Messages:
 * in, `ScoreRequest`; out, one `ScoreWorkerReady` or `ScoreWorkerFailed` after start-up, then one
 * `ScoreReply` per request, in request order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FraudstreamError } from '@fraudstream/shared/errors';
import { loadModel } from './model.js';
import { initTensorflow } from './tensorflow.js';
import { scoreLines } from './score.js';

export interface ScoreRequest {
  id: number;
  /** n × feature count, row-major (transferred, not copied). */
  features: Float32Array;
  n: number;
  /** The rows' transaction ids, joined by "\n"; absent: the reply carries the scores themselves. */
  transactionIds?: string;
}
/** The rows' `TRANSACTION_ID,score` lines, or their scores when the request had no ids. */
export type ScoreReply = { id: number; lines: string } | { id: number; scores: Float32Array };
export interface ScoreWorkerReady {
  ready: true;
  version: string;
  threshold: number;
  /** The TensorFlow.js backend the worker scores with. */
  backend: string;
}
export interface ScoreWorkerFailed {
  ready: false;
  code: string;
  message: string;
}

async function serve(dir: string): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('score-worker.ts runs as a worker thread');
  let model;
  try {
    model = await loadModel(dir);
  } catch (err) {
    const failed: ScoreWorkerFailed = {
      ready: false,
      code: err instanceof FraudstreamError ? err.code : 'MODEL_INVALID',
      message: (err as Error).message,
    };
    port.postMessage(failed);
    return;
  }
  const ready: ScoreWorkerReady = { ready: true, version: model.version, threshold: model.threshold, backend: await initTensorflow() };
  port.postMessage(ready);
  // Requests are answered one at a time, in arrival order.
  let queue = Promise.resolve();
  port.on('message', (request: ScoreRequest) => {
    queue = queue.then(async () => {
      const scores = await model.predict(request.features, request.n);
      if (request.transactionIds === undefined) {
        const reply: ScoreReply = { id: request.id, scores };
        port.postMessage(reply);
        return;
      }
      const reply: ScoreReply = { id: request.id, lines: scoreLines(request.transactionIds.split('\n'), scores) };
      port.postMessage(reply);
    });
  });
}

await serve((workerData as { modelDir: string }).modelDir);
