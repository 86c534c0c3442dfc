import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { FraudstreamError } from '@fraudstream/shared/errors';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { FeatureStatistics } from './feature-stats.js';
import { initTensorflow, tf } from './tensorflow.js';

export { DEFAULT_MODEL_DIR } from './default-model.js';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
export const METADATA_FILE = 'metadata.json';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const RankingMetrics = z.object({
  rows: z.number().int(),
  frauds: z.number().int(),
  aucRoc: z.number(),
  averagePrecision: z.number(),
  cardPrecisionAt100: z.number().optional(),
});
export type RankingMetrics = z.infer<typeof RankingMetrics>;

export const ModelMetadata = z.object({
  formatVersion: z.literal(1),
  version: z.string().min(1),
  createdAt: z.string(),
  featureNames: z.array(z.string()),
  /** Extra network inputs max(0, feature − knot): sharp thresholds are hard for a small MLP to learn from few examples. */
  hinges: z.array(z.object({ feature: z.string(), knots: z.array(finite) })).default([]),
  /**
   * Extra network inputs 1 if feature > knot, else 0, at the knots a depth-2 decision tree on the
   * feature alone splits at: the thresholds a tree would use, as inputs the network can weigh.
   */
  steps: z.array(z.object({ feature: z.string(), knots: z.array(finite) })).default([]),
  /** Mean and std of every network input: the features, then the hinge inputs, then the step inputs, in order. */
  normalisation: z.object({ mean: z.array(finite), std: z.array(finite.refine((value) => value > 0, 'must be > 0')) }),
  threshold: z.object({ value: z.number().min(0).max(1), method: z.string() }),
  training: z.record(z.string(), z.unknown()),
  validation: RankingMetrics,
  /** Each feature's distribution over the training rows (absent in models trained before it was kept). */
  featureStatistics: z.array(FeatureStatistics).optional(),
});
export type ModelMetadata = z.input<typeof ModelMetadata>;
/** An extra network input on one feature column: max(0, x − knot) for a hinge, 1 if x > knot else 0 for a step. */
export type Hinge = { column: number; knot: number; step: boolean };

/** The extra inputs of a model in input order: its hinges, then its steps. */
export function hingeColumns(metadata: Pick<ModelMetadata, 'hinges' | 'steps'>, featureNames: readonly string[]): Hinge[] {
  const of = (list: ModelMetadata['hinges'], step: boolean): Hinge[] =>
    (list ?? []).flatMap(({ feature, knots }) => knots.map((knot) => ({ column: featureNames.indexOf(feature), knot, step })));
  return [...of(metadata.hinges, false), ...of(metadata.steps, true)];
}

/** The value of an extra input for a feature value. */
export const hingeValue = (hinge: Hinge, value: number): number => (hinge.step ? (value > hinge.knot ? 1 : 0) : Math.max(0, value - hinge.knot));

/** Raw feature rows → raw network inputs (the features, then the hinges and steps). */
export function networkInputs(rows: Float32Array, n: number, width: number, hinges: readonly Hinge[]): Float32Array {
  if (hinges.length === 0) return rows;
  const inputs = width + hinges.length;
  const out = new Float32Array(n * inputs);
  for (let row = 0; row < n; row++) {
    const from = row * width;
    const to = row * inputs;
    for (let column = 0; column < width; column++) out[to + column] = rows[from + column]!;
    for (let index = 0; index < hinges.length; index++) {
      const hinge = hinges[index]!;
      out[to + width + index] = hingeValue(hinge, rows[from + hinge.column]!);
    }
  }
  return out;
}

export interface FraudModel {
  version: string;
  featureNames: readonly string[];
  threshold: number;
  /** Training means in raw feature space: the "typical value" for alert reasons and occlusion. */
  featureMeans: readonly number[];
  /** Raw feature rows (n × featureNames.length, row-major) in, fraud probabilities out. */
  predict(rows: Float32Array, n: number): Promise<Float32Array>;
}

const PREDICT_BATCH = 65_536;

/** A FraudModel around a layers model and its standardisation. */
export function fraudModelOf(network: tf.LayersModel, metadata: ModelMetadata): FraudModel {
  const { mean, std } = metadata.normalisation;
  const width = metadata.featureNames.length;
  const hinges = hingeColumns(metadata, metadata.featureNames);
  const inputs = width + hinges.length;
  const scale = Float32Array.from(std, (value) => 1 / value);
  const offset = Float32Array.from(mean);
  return {
    version: metadata.version,
    featureNames: metadata.featureNames,
    threshold: metadata.threshold.value,
    featureMeans: mean.slice(0, width),
    async predict(rows: Float32Array, n: number): Promise<Float32Array> {
      if (rows.length !== n * width) {
        throw new RangeError(`Expected ${n} rows of ${width} features (${n * width} values), got ${rows.length} values`);
      }
      const scores = new Float32Array(n);
      for (let start = 0; start < n; start += PREDICT_BATCH) {
        const count = Math.min(PREDICT_BATCH, n - start);
        // networkInputs and standardisation in one pass; Math.fround keeps the hinge value as training saw it.
        const standardised = new Float32Array(count * inputs);
        for (let row = 0; row < count; row++) {
          const from = (start + row) * width;
          const to = row * inputs;
          for (let column = 0; column < width; column++) standardised[to + column] = (rows[from + column]! - offset[column]!) * scale[column]!;
          for (let index = 0; index < hinges.length; index++) {
            const hinge = hinges[index]!;
            const value = Math.fround(hingeValue(hinge, rows[from + hinge.column]!));
            standardised[to + width + index] = (value - offset[width + index]!) * scale[width + index]!;
          }
        }
        const output = tf.tidy(() => network.predict(tf.tensor2d(standardised, [count, inputs]), { batchSize: count }) as tf.Tensor);
        scores.set(await output.data(), start);
        output.dispose();
      }
      return scores;
    },
  };
}

function mismatch(names: readonly string[]): string | undefined {
  const missing = FEATURE_NAMES.filter((name) => !names.includes(name));
  const unknown = names.filter((name) => !FEATURE_NAMES.includes(name));
  if (missing.length > 0 || unknown.length > 0) {
    return [
      missing.length > 0 ? `missing ${missing.join(', ')}` : '',
      unknown.length > 0 ? `unknown to this engine ${unknown.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ');
  }
  const moved = names.findIndex((name, index) => name !== FEATURE_NAMES[index]);
  return moved === -1 ? undefined : `feature ${moved} is ${names[moved]} in the model but ${FEATURE_NAMES[moved]} in the engine`;
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new FraudstreamError('MODEL_INVALID', `Cannot load the model: cannot read ${what} ${path} (${(err as Error).message})`, { cause: err });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new FraudstreamError('MODEL_INVALID', `Cannot load the model: ${path} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

export async function readMetadata(dir: string): Promise<ModelMetadata> {
  const path = join(dir, METADATA_FILE);
  const parsed = ModelMetadata.safeParse(await readJson(path, 'its metadata'));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FraudstreamError(
      'MODEL_INVALID',
      `Cannot load the model: ${path} is not fraudstream model metadata (${issue ? `${issue.path.join('.')}: ${issue.message}` : parsed.error.message})`,
    );
  }
  return parsed.data;
}

/**
 * Loads a model directory written by `npm run train`. Refuses (FraudstreamError) a directory that
 * cannot be loaded (MODEL_INVALID) and one trained on other features than this engine computes
 * (FEATURES_MISMATCH): such a model would score silently wrong.
 */
export async function loadModel(dir: string): Promise<FraudModel> {
  const metadata = await readMetadata(dir);
  const problem = mismatch(metadata.featureNames);
  if (problem !== undefined) {
    throw new FraudstreamError(
      'FEATURES_MISMATCH',
      `Refusing model ${metadata.version} in ${dir}: it was trained on other features than this feature engine computes (${problem}). Retrain it with \`npm run train\`.`,
    );
  }
  const { mean, std } = metadata.normalisation;
  const hinges = hingeColumns(metadata, metadata.featureNames);
  const inputCount = FEATURE_NAMES.length + hinges.length;
  if (hinges.some((hinge) => hinge.column < 0)) {
    throw new FraudstreamError('MODEL_INVALID', `Cannot load the model: ${dir}/${METADATA_FILE} has a hinge or step on a feature it does not list`);
  }
  if (mean.length !== inputCount || std.length !== inputCount) {
    throw new FraudstreamError('MODEL_INVALID', `Cannot load the model: ${dir}/${METADATA_FILE} has ${mean.length} means and ${std.length} deviations for ${inputCount} network inputs`);
  }
  const topology = (await readJson(join(dir, MODEL_FILE), 'its network')) as {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  if (topology.modelTopology === undefined || topology.weightsManifest === undefined) {
    throw new FraudstreamError('MODEL_INVALID', `Cannot load the model: ${join(dir, MODEL_FILE)} is not a TensorFlow.js layers model`);
  }
  await initTensorflow();
  try {
    const buffers = await Promise.all(topology.weightsManifest.flatMap((group) => group.paths.map((path) => readFile(join(dir, path)))));
    const weightData = Buffer.concat(buffers);
    const network = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: topology.modelTopology,
        weightSpecs: topology.weightsManifest.flatMap((group) => group.weights),
        weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
      }),
    );
    const inputs = network.inputs[0]?.shape[1];
    if (inputs !== inputCount) {
      throw new Error(`the network takes ${inputs} inputs, the metadata describes ${inputCount}`);
    }
    return fraudModelOf(network, metadata);
  } catch (err) {
    throw new FraudstreamError('MODEL_INVALID', `Cannot load the model in ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Writes model.json + weights.bin (the TensorFlow.js file format) and metadata.json. */
export async function saveModel(dir: string, network: tf.LayersModel, metadata: ModelMetadata): Promise<void> {
  await mkdir(dir, { recursive: true });
  await network.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData as ArrayBuffer;
      await writeFile(join(dir, WEIGHTS_FILE), new Uint8Array(weightData));
      await writeFile(
        join(dir, MODEL_FILE),
        JSON.stringify({
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs }],
        }),
      );
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  // Written last: the detector reloads when metadata.json changes, by then the network is in place.
  await writeFile(join(dir, METADATA_FILE), `${JSON.stringify(metadata, null, 2)}\n`);
}
