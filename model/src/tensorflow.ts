import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export { tf };

let ready: Promise<string> | undefined;

async function pickBackend(): Promise<string> {
  try {
    // Optional dependency: its native binary does not install everywhere (it does not here).
    await import('@tensorflow/tfjs-node' as string);
    if (await tf.setBackend('tensorflow')) {
      await tf.ready();
      return tf.getBackend();
    }
  } catch {
    // fall through to WASM
  }
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(`${wasmDir}/`);
  if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js: neither tfjs-node nor the WASM backend could start');
  await tf.ready();
  return tf.getBackend();
}

/** Starts TensorFlow.js once per process: tfjs-node when it loads, else the WASM backend. Returns the backend's name. */
export function initTensorflow(): Promise<string> {
  ready ??= pickBackend();
  return ready;
}
