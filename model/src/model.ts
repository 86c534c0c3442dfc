import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FraudstreamError } from '@fraudstream/shared/errors';
import { hingeColumns, hingeValue, METADATA_FILE, MODEL_FILE, readModelFiles, WEIGHTS_FILE, type FraudModel, type ModelMetadata } from './model-files.js';
import { initTensorflow, tf } from './tensorflow.js';

export { DEFAULT_MODEL_DIR } from './default-model.js';
export {
  hingeColumns,
  hingeValue,
  METADATA_FILE,
  ModelMetadata,
  networkInputs,
  RankingMetrics,
  readMetadata,
  readModelFiles,
  type FraudModel,
  type Hinge,
  type ModelFiles,
  type WeightSpec,
} from './model-files.js';

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

/**
 * Loads a model directory written by `npm run train` (checked by `readModelFiles`) into TensorFlow.js.
 * Refuses (FraudstreamError) a directory that cannot be loaded (MODEL_INVALID) and one trained on
 * other features than this engine computes (FEATURES_MISMATCH): such a model would score silently wrong.
 */
export async function loadModel(dir: string): Promise<FraudModel> {
  const { metadata, inputCount, modelTopology, weightSpecs, weightData } = await readModelFiles(dir);
  await initTensorflow();
  try {
    const network = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs: weightSpecs as tf.io.WeightsManifestEntry[], weightData }));
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
