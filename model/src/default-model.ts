import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The model shipped in model/default: what the detector serves unless told otherwise. (No TensorFlow.js import here, so a CLI can name it without loading TensorFlow.js.) */
export const DEFAULT_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../default');
