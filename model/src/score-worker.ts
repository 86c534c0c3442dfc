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
  /** The rows' transaction ids, joined by "\n". */
  transactionIds: string;
}
export interface ScoreReply {
  id: number;
  lines: string;
}
export interface ScoreWorkerReady {
  ready: true;
  version: string;
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
  const ready: ScoreWorkerReady = { ready: true, version: model.version, backend: await initTensorflow() };
  port.postMessage(ready);
  // Requests are answered one at a time, in arrival order.
  let queue = Promise.resolve();
  port.on('message', (request: ScoreRequest) => {
    queue = queue.then(async () => {
      const scores = await model.predict(request.features, request.n);
      const reply: ScoreReply = { id: request.id, lines: scoreLines(request.transactionIds.split('\n'), scores) };
      port.postMessage(reply);
    });
  });
}

await serve((workerData as { modelDir: string }).modelDir);
