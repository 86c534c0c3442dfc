import { createHash } from 'node:crypto';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { aucRoc, averagePrecision, cardPrecisionAtK, thresholdCurve } from './metrics.js';
import { hingeColumns, networkInputs, type Hinge, type ModelMetadata, type RankingMetrics } from './model.js';
import { dayIndexOf, type Dataset } from './replay.js';
import { initTensorflow, tf } from './tensorflow.js';

export interface TrainOptions {
  /** Rows from this time on are the validation set (split by time), the earlier ones the training set. */
  validationFromMs: number;
  seed: number;
  maxEpochs?: number;
  /** Epochs without a better validation average precision before stopping. */
  patience?: number;
  batchSize?: number;
  hiddenUnits?: readonly number[];
  learningRate?: number;
  /** Weight of a fraud row in the loss (default 3: a mild push towards recall; full re-balancing to ~115 costs precision at the top). */
  fraudWeight?: number;
  /** Features given hinge inputs, with knots at these quantiles of the training rows. */
  hinges?: { features: readonly string[]; quantiles: readonly number[] };
  /**
   * Features given step inputs, at the knots a depth-2 decision tree on the feature alone chooses
   * (Gini, leaves of at least `minLeaf` training rows; `features: []` for none).
   */
  steps?: { features: readonly string[]; minLeaf?: number };
  /** Networks trained with different seeds and averaged (each early-stopped on its own). */
  members?: number;
  /** What early stopping watches on the validation rows: average precision (default) or log loss. */
  earlyStopping?: 'averagePrecision' | 'loss';
  /**
   * After early stopping, train each member again from scratch on every row, validation days included,
   * for its best number of epochs (default false): the final model also learns from the two days
   * closest to the ones it scores. The threshold and the validation metrics stay those of the held-out
   * networks. Measured in docs/model.md#quality: a little better on average, not the default.
   */
  refit?: boolean;
  onRefitEpoch?: (epoch: number, epochs: number) => void;
  onEpoch?: (epoch: number, maxEpochs: number, validation: { averagePrecision: number; loss: number }) => void;
}

export interface TrainedModel {
  network: tf.LayersModel;
  normalisation: { mean: number[]; std: number[] };
  hinges: { feature: string; knots: number[] }[];
  steps: { feature: string; knots: number[] }[];
  threshold: ModelMetadata['threshold'];
  validation: RankingMetrics & { cardPrecisionAt100: number };
  validationScores: Float32Array;
  validationLabels: Uint8Array;
  history: { member: number; epoch: number; loss: number; validationAveragePrecision: number; validationLoss: number }[];
  summary: Record<string, unknown>;
  versionHash: string;
}

/** A seeded PRNG (mulberry32), so shuffling is the same for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(indices: Uint32Array, random: () => number): Uint32Array {
  const result = indices.slice();
  for (let index = result.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [result[index], result[other]] = [result[other]!, result[index]!];
  }
  return result;
}

function columnStats(features: Float32Array, rows: Uint32Array, width: number): { mean: number[]; std: number[] } {
  const mean = new Array<number>(width).fill(0);
  const squares = new Array<number>(width).fill(0);
  for (const row of rows) {
    for (let column = 0; column < width; column++) {
      const value = features[row * width + column]!;
      mean[column]! += value;
      squares[column]! += value * value;
    }
  }
  const std = mean.map((sum, column) => {
    const average = sum / rows.length;
    const variance = squares[column]! / rows.length - average * average;
    return variance > 1e-12 ? Math.sqrt(variance) : 1;
  });
  return { mean: mean.map((sum) => sum / rows.length), std };
}

function standardised(features: Float32Array, rows: Uint32Array, width: number, stats: { mean: number[]; std: number[] }): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, index) => {
    for (let column = 0; column < width; column++) {
      out[index * width + column] = (features[row * width + column]! - stats.mean[column]!) / stats.std[column]!;
    }
  });
  return out;
}

/** One member: dense ReLU layers and a sigmoid output. Initialiser seeds are never 0, which tfjs treats as "no seed". */
function memberLayers(hiddenUnits: readonly number[], seed: number, member: number): tf.layers.Layer[] {
  const layers: tf.layers.Layer[] = hiddenUnits.map((units, index) =>
    tf.layers.dense({
      units,
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed: seed * 1009 + member * 101 + index + 1 }),
      name: `member${member}_dense${index}`,
    }),
  );
  layers.push(
    tf.layers.dense({
      units: 1,
      activation: 'sigmoid',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1009 + member * 101 + 100 }),
      name: `member${member}_output`,
    }),
  );
  return layers;
}

function chain(input: tf.SymbolicTensor, layers: tf.layers.Layer[]): tf.SymbolicTensor {
  return layers.reduce((tensor, layer) => layer.apply(tensor) as tf.SymbolicTensor, input);
}

/** Mean binary cross-entropy (unweighted) of scores against labels. */
function logLoss(scores: Float32Array, labels: Uint8Array): number {
  let sum = 0;
  for (let index = 0; index < scores.length; index++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, scores[index]!));
    sum -= labels[index] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / scores.length;
}

function ensembleOf(input: tf.SymbolicTensor, members: tf.layers.Layer[][]): tf.LayersModel {
  const outputs = members.map((layers) => chain(input, layers));
  return tf.model({
    inputs: input,
    outputs: outputs.length === 1 ? outputs[0]! : (tf.layers.average({ name: 'ensemble_average' }).apply(outputs) as tf.SymbolicTensor),
  });
}

async function predictRows(network: tf.LayersModel, x: Float32Array, n: number, width: number): Promise<Float32Array> {
  const output = tf.tidy(() => network.predict(tf.tensor2d(x, [n, width]), { batchSize: Math.max(1, n) }) as tf.Tensor);
  const scores = (await output.data()) as Float32Array;
  output.dispose();
  return scores;
}

export const DEFAULT_STEP_FEATURES: readonly string[] = [
  'TX_AMOUNT',
  'CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_30DAY',
  'CUSTOMER_ID_AMOUNT_TO_PREVIOUS_MEDIAN_30DAY',
  'TERMINAL_ID_DAYS_SINCE_FIRST_KNOWN_FRAUD',
  'TERMINAL_ID_NB_KNOWN_FRAUDS',
  'TERMINAL_ID_RISK_SINCE_FIRST_KNOWN_FRAUD',
  'TERMINAL_ID_DAYS_SINCE_TX_BEFORE_FIRST_KNOWN_FRAUD',
];

/**
 * The thresholds of a depth-2 decision tree on one feature (Gini impurity, leaves of at least
 * `minLeaf` rows): the root's split, then the best split of each side that lowers its impurity.
 * Each knot lies halfway between the two values it separates. Sorted, at most 3.
 */
export function splitKnots(values: Float64Array, labels: Uint8Array, minLeaf: number): number[] {
  const order = Uint32Array.from(values.keys()).sort((a, b) => values[a]! - values[b]!);
  const sorted = Float64Array.from(order, (index) => values[index]!);
  const positivesBefore = new Float64Array(sorted.length + 1);
  for (let index = 0; index < sorted.length; index++) positivesBefore[index + 1] = positivesBefore[index]! + labels[order[index]!]!;
  const impurity = (from: number, to: number): number => {
    const count = to - from;
    if (count === 0) return 0;
    const share = (positivesBefore[to]! - positivesBefore[from]!) / count;
    return count * 2 * share * (1 - share);
  };
  /** The best split of [from, to) as the index of the right side's first row; -1 when none lowers the impurity. */
  const bestSplit = (from: number, to: number): number => {
    let best = { at: -1, impurity: impurity(from, to) - 1e-9 };
    for (let at = from + minLeaf; at <= to - minLeaf; at++) {
      if (sorted[at - 1] === sorted[at]) continue;
      const total = impurity(from, at) + impurity(at, to);
      if (total < best.impurity) best = { at, impurity: total };
    }
    return best.at;
  };
  const knotAt = (at: number): number => (sorted[at - 1]! + sorted[at]!) / 2;
  const root = bestSplit(0, sorted.length);
  if (root < 0) return [];
  const knots = [knotAt(root)];
  const left = bestSplit(0, root);
  const right = bestSplit(root, sorted.length);
  if (left >= 0) knots.push(knotAt(left));
  if (right >= 0) knots.push(knotAt(right));
  return knots.sort((a, b) => a - b);
}

/**
 * Trains the fraud MLP on the dataset's rows before `validationFromMs` and early-stops on the average
 * precision of the rows after it. Deterministic for a seed: seeded initialisers, seeded shuffling,
 * and no other randomness (no dropout).
 */
export async function trainModel(dataset: Dataset, options: TrainOptions): Promise<TrainedModel> {
  await initTensorflow();
  const featureCount = FEATURE_NAMES.length;
  const maxEpochs = options.maxEpochs ?? 40;
  const patience = options.patience ?? 6;
  const batchSize = options.batchSize ?? 128;
  const hiddenUnits = options.hiddenUnits ?? [64, 32];
  const learningRate = options.learningRate ?? 0.001;
  const members = options.members ?? 3;

  const trainRows: number[] = [];
  const validationRows: number[] = [];
  for (let row = 0; row < dataset.n; row++) {
    (dataset.timestampMs[row]! < options.validationFromMs ? trainRows : validationRows).push(row);
  }
  if (trainRows.length === 0 || validationRows.length === 0) {
    throw new Error(`Training needs rows on both sides of the validation split; got ${trainRows.length} training and ${validationRows.length} validation rows`);
  }
  const train = Uint32Array.from(trainRows);
  const validation = Uint32Array.from(validationRows);
  const trainFrauds = train.reduce((sum, row) => sum + dataset.fraud[row]!, 0);
  const validationLabels = Uint8Array.from(validation, (row) => dataset.fraud[row]!);
  const validationFrauds = validationLabels.reduce((sum, label) => sum + label, 0);
  if (trainFrauds === 0) throw new Error('The training period holds no fraud: nothing to learn from');
  const fraudWeight = options.fraudWeight ?? 3;

  const earlyStopping = options.earlyStopping ?? 'averagePrecision';
  const refit = options.refit ?? false;
  // The rows the final networks learn from: knots and standardisation come from them.
  const fitted = refit ? Uint32Array.from({ length: dataset.n }, (_, row) => row) : train;

  const hingeSpec = options.hinges ?? { features: ['TX_AMOUNT', 'CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_30DAY'], quantiles: [0.9, 0.99, 0.999] };
  const hinges = hingeSpec.features.map((feature) => {
    const column = FEATURE_NAMES.indexOf(feature);
    if (column < 0) throw new Error(`No feature ${feature} to put hinges on`);
    const values = Float64Array.from(fitted, (row) => dataset.features[row * featureCount + column]!).sort();
    const knots = [...new Set(hingeSpec.quantiles.map((q) => values[Math.min(values.length - 1, Math.floor(q * values.length))]!))];
    return { feature, knots };
  });
  const fittedLabels = Uint8Array.from(fitted, (row) => dataset.fraud[row]!);
  const stepSpec = options.steps ?? { features: DEFAULT_STEP_FEATURES };
  const steps = stepSpec.features.map((feature) => {
    const column = FEATURE_NAMES.indexOf(feature);
    if (column < 0) throw new Error(`No feature ${feature} to put steps on`);
    const values = Float64Array.from(fitted, (row) => dataset.features[row * featureCount + column]!);
    return { feature, knots: splitKnots(values, fittedLabels, stepSpec.minLeaf ?? 20) };
  });
  const hingeInputs: Hinge[] = hingeColumns({ hinges, steps }, FEATURE_NAMES);
  const inputs = networkInputs(dataset.features, dataset.n, featureCount, hingeInputs);
  const width = featureCount + hingeInputs.length;
  const stats = columnStats(inputs, fitted, width);
  const validationX = standardised(inputs, validation, width, stats);

  /** One epoch over `rows` in a seeded order; returns the training loss. */
  async function fitEpoch(network: tf.LayersModel, rows: Uint32Array, random: () => number): Promise<number> {
    const order = shuffled(rows, random);
    const x = tf.tensor2d(standardised(inputs, order, width, stats), [order.length, width]);
    const y = tf.tensor2d(Float32Array.from(order, (row) => dataset.fraud[row]!), [order.length, 1]);
    const fit = await network.fit(x, y, { epochs: 1, batchSize, shuffle: false, classWeight: { 0: 1, 1: fraudWeight }, verbose: 0 });
    x.dispose();
    y.dispose();
    return Number(fit.history['loss']?.[0] ?? Number.NaN);
  }
  function compiled(layers: tf.layers.Layer[]): tf.LayersModel {
    const input = tf.input({ shape: [width] });
    const network = tf.model({ inputs: input, outputs: chain(input, layers) });
    network.compile({ optimizer: tf.train.adam(learningRate), loss: 'binaryCrossentropy' });
    return network;
  }

  const history: TrainedModel['history'] = [];
  const bestEpochs: number[] = [];
  const heldOutMembers: tf.layers.Layer[][] = [];
  for (let member = 0; member < members; member++) {
    const random = seededRandom(options.seed * 1009 + member);
    const layers = memberLayers(hiddenUnits, options.seed, member);
    const network = compiled(layers);
    // Higher is better for both: average precision, and the negated log loss.
    let best = { value: Number.NEGATIVE_INFINITY, epoch: 0, weights: [] as tf.Tensor[] };
    for (let epoch = 1; epoch <= maxEpochs; epoch++) {
      const loss = await fitEpoch(network, train, random);
      const scores = await predictRows(network, validationX, validation.length, width);
      const validationAveragePrecision = averagePrecision(scores, validationLabels);
      const validationLoss = logLoss(scores, validationLabels);
      history.push({ member, epoch, loss, validationAveragePrecision, validationLoss });
      options.onEpoch?.(member * maxEpochs + epoch, members * maxEpochs, { averagePrecision: validationAveragePrecision, loss });
      const value = earlyStopping === 'loss' ? -validationLoss : validationAveragePrecision;
      const margin = earlyStopping === 'loss' ? 1e-5 : 1e-4;
      if (value > best.value + margin) {
        for (const tensor of best.weights) tensor.dispose();
        best = { value, epoch, weights: network.getWeights().map((tensor) => tensor.clone()) };
      } else if (epoch - best.epoch >= patience) {
        break;
      }
    }
    network.setWeights(best.weights);
    for (const tensor of best.weights) tensor.dispose();
    bestEpochs.push(best.epoch);
    heldOutMembers.push(layers);
  }

  // One network averaging the members' probabilities: one predict call serves the ensemble.
  const heldOut = ensembleOf(tf.input({ shape: [width] }), heldOutMembers);
  const validationScores = await predictRows(heldOut, validationX, validation.length, width);
  let network = heldOut;
  if (refit) {
    const all = Uint32Array.from({ length: dataset.n }, (_, row) => row);
    const refitMembers: tf.layers.Layer[][] = [];
    const refitEpochs = bestEpochs.reduce((sum, epochs) => sum + epochs, 0);
    let refitDone = 0;
    for (let member = 0; member < members; member++) {
      const random = seededRandom(options.seed * 1009 + member + 500);
      const layers = memberLayers(hiddenUnits, options.seed, member);
      const memberNetwork = compiled(layers);
      for (let epoch = 1; epoch <= bestEpochs[member]!; epoch++) {
        await fitEpoch(memberNetwork, all, random);
        options.onRefitEpoch?.(++refitDone, refitEpochs);
      }
      refitMembers.push(layers);
    }
    network = ensembleOf(tf.input({ shape: [width] }), refitMembers);
    heldOut.dispose();
  }
  const curve = thresholdCurve(validationScores, validationLabels);
  let bestF1 = { f1: -1, threshold: 0.5 };
  for (const point of curve) {
    const f1 = (2 * point.truePositives) / (point.truePositives + point.falsePositives + validationFrauds);
    if (f1 > bestF1.f1) bestF1 = { f1, threshold: point.threshold };
  }
  const cardPrecision = cardPrecisionAtK(
    Array.from(validation, (row, index) => ({
      day: dayIndexOf(dataset.timestampMs[row]!),
      card: dataset.cardIds[row]!,
      score: validationScores[index]!,
      fraud: validationLabels[index] === 1,
    })),
    100,
  );
  const weightsHash = createHash('sha256');
  for (const tensor of network.getWeights()) weightsHash.update(new Uint8Array((tensor.dataSync() as Float32Array).buffer));

  return {
    network,
    normalisation: stats,
    hinges,
    steps,
    threshold: {
      value: bestF1.threshold,
      method: `maximises F1 on the validation rows (F1 ${bestF1.f1.toFixed(3)} there)`,
    },
    validation: {
      rows: validation.length,
      frauds: validationFrauds,
      aucRoc: aucRoc(validationScores, validationLabels),
      averagePrecision: averagePrecision(validationScores, validationLabels),
      cardPrecisionAt100: cardPrecision.mean,
    },
    validationScores,
    validationLabels,
    history,
    summary: {
      trainingRows: train.length,
      trainingFrauds: trainFrauds,
      trainingFraudRate: trainFrauds / train.length,
      validationRows: validation.length,
      validationFrauds,
      architecture: `${members} × MLP ${featureCount} features + ${hinges.reduce((sum, { knots }) => sum + knots.length, 0)} hinge + ${steps.reduce((sum, { knots }) => sum + knots.length, 0)} step inputs → ${hiddenUnits.join(' → ')} → 1 (ReLU, sigmoid), Adam lr ${learningRate}, batch ${batchSize}`,
      imbalance: `class weights: fraud ${fraudWeight}, legitimate 1 (fraud rate ${((100 * trainFrauds) / train.length).toFixed(2)} %)`,
      ensemble: `${members} networks (seeds derived from ${options.seed}), probabilities averaged`,
      earlyStopping:
        `each network keeps its epoch of best validation ${earlyStopping === 'loss' ? 'log loss' : 'average precision'}: ${bestEpochs.join(', ')} (patience ${patience}, at most ${maxEpochs})` +
        (refit ? '; then trained again from scratch on every row, validation days included, for as many epochs' : ''),
      bestEpochs,
      seed: options.seed,
    },
    versionHash: weightsHash.digest('hex').slice(0, 10),
  };
}
