import { loadModel, DEFAULT_MODEL_DIR } from './src/index.js';
import { initTensorflow } from './src/tensorflow.js';
import { tf } from './src/tensorflow.js';
const backend = await initTensorflow();
const model = await loadModel(DEFAULT_MODEL_DIR);
console.log(backend, (tf.backend() as any).wasm ? 'wasm' : '', tf.env().getBool('WASM_HAS_SIMD_SUPPORT'), tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'));
const n = 65536; const rows = new Float32Array(n * 20).map((_, i) => (i % 20) + Math.random());
for (let k = 0; k < 5; k++) { const t0 = performance.now(); await model.predict(rows, n); console.log(((performance.now() - t0) / n * 1000).toFixed(2), 'us/row'); }
