import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES, isFraudstreamError } from '@fraudstream/shared';
import { DEFAULT_MODEL_DIR, initTensorflow, loadModel, saveModel, tf, type ModelMetadata } from '../src/index.js';

const width = FEATURE_NAMES.length;

function metadata(overrides: Partial<ModelMetadata> = {}): ModelMetadata {
  return {
    formatVersion: 1,
    version: 'test-model',
    createdAt: new Date(0).toISOString(),
    featureNames: [...FEATURE_NAMES],
    normalisation: { mean: FEATURE_NAMES.map(() => 1), std: FEATURE_NAMES.map(() => 2) },
    threshold: { value: 0.5, method: 'fixed, for the test' },
    training: {},
    validation: { rows: 0, frauds: 0, aucRoc: 0.5, averagePrecision: 0 },
    ...overrides,
  };
}

/** A one-layer network whose output is sigmoid(sum of standardised inputs), so scores can be checked by hand. */
function network(): tf.LayersModel {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [width], units: 1, activation: 'sigmoid', kernelInitializer: 'ones', biasInitializer: 'zeros' })],
  });
  return model;
}

async function expectRefusal(dir: string, code: string, message: RegExp): Promise<void> {
  const error = await loadModel(dir).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isFraudstreamError(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  expect((error as Error).message).toMatch(message);
}

describe('loadModel', () => {
  let root: string;
  beforeAll(async () => {
    await initTensorflow();
    root = await mkdtemp(join(tmpdir(), 'fraudstream-model-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('loads what saveModel wrote and standardises inside predict', async () => {
    const dir = join(root, 'good');
    await saveModel(dir, network(), metadata());
    const model = await loadModel(dir);
    expect(model).toMatchObject({ version: 'test-model', threshold: 0.5, featureNames: FEATURE_NAMES });
    const rows = new Float32Array(2 * width);
    rows.fill(1, 0, width); // every feature at its mean: logit 0
    rows.fill(1.2, width); // every feature 0.1 std above: logit 0.1 × width
    const scores = await model.predict(rows, 2);
    expect(scores[0]).toBeCloseTo(0.5, 6);
    expect(scores[1]).toBeCloseTo(1 / (1 + Math.exp(-0.1 * width)), 5);
    await expect(model.predict(rows, 3)).rejects.toThrow(/Expected 3 rows/);
  });

  it('ships a default model for the current features', async () => {
    const model = await loadModel(DEFAULT_MODEL_DIR);
    expect(model.featureNames).toEqual(FEATURE_NAMES);
    expect(model.featureMeans).toHaveLength(width);
    const scores = await model.predict(Float32Array.from(model.featureMeans), 1);
    expect(scores[0]).toBeGreaterThanOrEqual(0);
    expect(scores[0]).toBeLessThan(model.threshold);
  });

  it('refuses a model trained on other features, naming the difference', async () => {
    const reordered = join(root, 'reordered');
    const names = [...FEATURE_NAMES];
    [names[0], names[1]] = [names[1]!, names[0]!];
    await saveModel(reordered, network(), metadata({ featureNames: names }));
    await expectRefusal(reordered, 'FEATURES_MISMATCH', /feature 0 is TX_DURING_WEEKEND in the model but TX_AMOUNT/);

    const older = join(root, 'older');
    await saveModel(older, network(), metadata({ featureNames: [...FEATURE_NAMES.slice(0, -1), 'OLD_FEATURE'] }));
    await expectRefusal(older, 'FEATURES_MISMATCH', new RegExp(`missing ${FEATURE_NAMES.at(-1)}; unknown to this engine OLD_FEATURE`));
  });

  it('refuses what it cannot load', async () => {
    await expectRefusal(join(root, 'nowhere'), 'MODEL_INVALID', /cannot read its metadata/);

    const broken = join(root, 'broken');
    await saveModel(broken, network(), metadata());
    await writeFile(join(broken, 'model.json'), '{"not":');
    await expectRefusal(broken, 'MODEL_INVALID', /model.json is not valid JSON/);

    const truncated = join(root, 'truncated');
    await saveModel(truncated, network(), metadata());
    const weights = await readFile(join(truncated, 'weights.bin'));
    await writeFile(join(truncated, 'weights.bin'), weights.subarray(0, 8));
    await expectRefusal(truncated, 'MODEL_INVALID', /Cannot load the model in/);

    const badMetadata = join(root, 'bad-metadata');
    await saveModel(badMetadata, network(), metadata());
    await writeFile(join(badMetadata, 'metadata.json'), JSON.stringify({ ...metadata(), threshold: { value: 2, method: 'x' } }));
    await expectRefusal(badMetadata, 'MODEL_INVALID', /threshold.value/);
  });
});
