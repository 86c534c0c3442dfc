import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readHandbookColumns } from '@fraudstream/shared/csv/columnar';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { computeOfflineFeatures } from '@fraudstream/shared/features/offline';
import { DEFAULT_KERNEL, forwardPassOf, networkSpecOf } from '../src/forward-pass.js';
import { DEFAULT_MODEL_DIR, fraudModelOf, loadModel, readModelFiles, saveModel, type FraudModel } from '../src/model.js';
import { initTensorflow, tf } from '../src/tensorflow.js';
import { writeHandbookCsv } from './support/handbook-csv.js';

const width = FEATURE_NAMES.length;

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Rows around the model's training means, some far out (scores near 0 and 1, the sigmoid's cut-off). */
function randomRows(n: number, means: readonly number[], seed: number): Float32Array {
  const random = lcg(seed);
  const rows = new Float32Array(n * width);
  for (let index = 0; index < rows.length; index++) {
    const mean = means[index % width]!;
    const spread = index % 97 === 0 ? 200 : 3;
    rows[index] = Math.max(0, mean * (1 + (random() - 0.5) * spread) + (random() < 0.05 ? random() * 500 : 0));
  }
  return rows;
}

async function expectSameScores(compiled: FraudModel, reference: FraudModel, rows: Float32Array): Promise<void> {
  const n = rows.length / width;
  const ours = await compiled.predict(rows, n);
  const theirs = await reference.predict(rows, n);
  let differing = 0;
  for (let index = 0; index < n; index++) if (!Object.is(ours[index], theirs[index])) differing++;
  expect(differing).toBe(0);
}

describe('the compiled forward pass', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-forward-pass-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scores as TF.js scores the default model, bit for bit, on replayed and random rows', async () => {
    const files = await readModelFiles(DEFAULT_MODEL_DIR);
    const spec = networkSpecOf(files.modelTopology, files.weightSpecs, files.weightData);
    expect(spec?.members.map((member) => member.map((layer) => layer.units))).toEqual([[64, 32, 1], [64, 32, 1], [64, 32, 1]]);
    const compiled = forwardPassOf(spec, files.metadata)!;
    const reference = await loadModel(DEFAULT_MODEL_DIR);
    expect(compiled.version).toBe(reference.version);
    expect(compiled.threshold).toBe(reference.threshold);

    const csv = join(dir, 'data.csv');
    await writeHandbookCsv(csv, { days: 60, cards: 300, terminals: 120, seed: 4 });
    const replayed = computeOfflineFeatures((await readHandbookColumns(csv))!);
    expect(replayed.length / width).toBeGreaterThan(20_000);
    await expectSameScores(compiled, reference, replayed);
    // Row counts that leave the last block and call partly filled.
    await expectSameScores(compiled, reference, randomRows(50_001, reference.featureMeans, 7));
    await expectSameScores(compiled, reference, randomRows(3, reference.featureMeans, 8));
    expect(await compiled.predict(new Float32Array(0), 0)).toHaveLength(0);
    await expect(compiled.predict(new Float32Array(3), 1)).rejects.toThrow(/Expected 1 rows of 25 features/);
  }, 120_000);

  it('scores other shapes TF.js scores as well: one member, layers of units that are no multiple of the kernel width', async () => {
    await initTensorflow();
    const metadata = (await readModelFiles(DEFAULT_MODEL_DIR)).metadata;
    const inputs = metadata.normalisation.mean.length;
    const input = tf.input({ shape: [inputs] });
    let tensor = input;
    for (const [index, units] of [5, 3].entries()) {
      tensor = tf.layers.dense({ units, activation: 'relu', kernelInitializer: tf.initializers.randomNormal({ seed: 11 + index, stddev: 0.5 }), biasInitializer: tf.initializers.randomNormal({ seed: 21 + index }), name: `member0_dense${index}` }).apply(tensor) as tf.SymbolicTensor;
    }
    const output = tf.layers.dense({ units: 1, activation: 'sigmoid', biasInitializer: 'ones', name: 'member0_output' }).apply(tensor) as tf.SymbolicTensor;
    const network = tf.model({ inputs: input, outputs: output });
    const modelDir = join(dir, 'small');
    await saveModel(modelDir, network, metadata);
    const files = await readModelFiles(modelDir);
    const spec = networkSpecOf(files.modelTopology, files.weightSpecs, files.weightData);
    expect(spec?.members.map((member) => member.map((layer) => layer.units))).toEqual([[5, 3, 1]]);
    expect(DEFAULT_KERNEL.unitsPerPass).not.toBe(5);
    await expectSameScores(forwardPassOf(spec, files.metadata)!, fraudModelOf(network, files.metadata), randomRows(10_007, metadata.normalisation.mean.slice(0, width), 9));
  }, 120_000);

  it('leaves to TF.js a network of another shape', async () => {
    const files = await readModelFiles(DEFAULT_MODEL_DIR);
    const withActivation = (activation: string): unknown => {
      const topology = structuredClone(files.modelTopology) as { config: { layers: Array<{ name: string; config: { activation?: string } }> } };
      topology.config.layers.find((layer) => layer.name === 'member1_dense1')!.config.activation = activation;
      return topology;
    };
    expect(networkSpecOf(withActivation('relu'), files.weightSpecs, files.weightData)).toBeDefined();
    expect(networkSpecOf(withActivation('tanh'), files.weightSpecs, files.weightData)).toBeUndefined();
    expect(networkSpecOf(files.modelTopology, files.weightSpecs.slice(1), files.weightData)).toBeUndefined();
    expect(networkSpecOf({}, files.weightSpecs, files.weightData)).toBeUndefined();
    const float16 = files.weightSpecs.map((spec) => ({ ...spec, dtype: 'float16' }));
    expect(networkSpecOf(files.modelTopology, float16, files.weightData)).toBeUndefined();
  });
});
