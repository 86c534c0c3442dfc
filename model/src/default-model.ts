import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The model shipped in model/default: what the detector serves unless told otherwise. A module of its
 * own, without TensorFlow.js, so the `score` CLI can name it without loading TensorFlow.js on its main
 * thread (the model runs in a worker).
 */
export const DEFAULT_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../default');
