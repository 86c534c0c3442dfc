/**
 * A model directory's files as `npm run train` writes them (metadata.json, model.json, weights.bin):
 * their schema, reading them and the checks every loader makes, without TensorFlow.js (importing it
 * takes a second; the offline scorer does not need it). model.ts re-exports all of this.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { FraudstreamError } from '@fraudstream/shared/errors';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { FeatureStatistics } from '@fraudstream/shared/features/drift';
import { hingeColumns } from './hinges.js';

export { hingeColumns, hingeValue, networkInputs, type Hinge } from './hinges.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
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
export interface FraudModel {
  version: string;
  featureNames: readonly string[];
  threshold: number;
  /** Training means in raw feature space: the "typical value" for alert reasons and occlusion. */
  featureMeans: readonly number[];
  /** Raw feature rows (n × featureNames.length, row-major) in, fraud probabilities out. */
  predict(rows: Float32Array, n: number): Promise<Float32Array>;
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

/** One weight tensor of a TF.js weights manifest. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
}

/** A model directory's files, read and checked: what a loader builds the network from. */
export interface ModelFiles {
  metadata: ModelMetadata;
  /** Network inputs: the features, then the hinges and steps. */
  inputCount: number;
  modelTopology: object;
  weightSpecs: WeightSpec[];
  weightData: ArrayBuffer;
}

/**
 * Reads a model directory written by `npm run train`. Refuses (FraudstreamError) a directory that
 * cannot be loaded (MODEL_INVALID) and one trained on other features than this engine computes
 * (FEATURES_MISMATCH): such a model would score silently wrong.
 */
export async function readModelFiles(dir: string): Promise<ModelFiles> {
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
    weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
  };
  if (topology.modelTopology === undefined || topology.weightsManifest === undefined) {
    throw new FraudstreamError('MODEL_INVALID', `Cannot load the model: ${join(dir, MODEL_FILE)} is not a TensorFlow.js layers model`);
  }
  try {
    const buffers = await Promise.all(topology.weightsManifest.flatMap((group) => group.paths.map((path) => readFile(join(dir, path)))));
    const weightData = Buffer.concat(buffers);
    return {
      metadata,
      inputCount,
      modelTopology: topology.modelTopology,
      weightSpecs: topology.weightsManifest.flatMap((group) => group.weights),
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    };
  } catch (err) {
    throw new FraudstreamError('MODEL_INVALID', `Cannot load the model in ${dir}: ${(err as Error).message}`, { cause: err });
  }
}
