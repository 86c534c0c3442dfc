/**
 * The fraud network's forward pass as WebAssembly SIMD made here, for offline scoring: the same
 * float32 arithmetic, in the same order, as TensorFlow.js's WASM backend (XNNPACK) performs for the
 * layers `train` builds, so the scores are bit for bit the detector's. What TF.js computes, layer by
 * layer (checked against it in model/test/forward-pass.test.ts):
 * - a ReLU Dense layer is one fused matmul: per unit, acc = bias, then acc = acc + x[k]·w[k] for k in
 *   order (a float32 multiply, then a float32 add), then max(acc, 0);
 * - the sigmoid output Dense is not fused: the dot product from 0 the same way, then + bias, then
 *   XNNPACK's sigmoid (exp by range reduction and a degree-5 polynomial, then a division);
 * - the ensemble's Average adds the members' outputs in order and multiplies by float32(1 / members).
 * Four rows go through at once, one per SIMD lane, so every lane does exactly one row's arithmetic.
 * A topology of any other shape is not compiled (`forwardPassOf` returns undefined): TF.js scores it.
 */
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { FunctionBuilder, I32, V128, moduleBytes } from './wasm-module.js';
import { hingeColumns } from './hinges.js';
import type { FraudModel, ModelMetadata, WeightSpec } from './model-files.js';

/** One Dense layer: kernel k-major (w[k · units + u]), as TF.js stores it. */
interface DenseSpec {
  inputs: number;
  units: number;
  kernel: Float32Array;
  bias: Float32Array;
}

/** Members' chains of Dense layers: ReLU ones, then one sigmoid unit; averaged when more than one. */
export interface NetworkSpec {
  inputs: number;
  members: DenseSpec[][];
}

interface KerasLayer {
  class_name?: string;
  config?: { name?: string; units?: number; activation?: string; use_bias?: boolean };
  inbound_nodes?: unknown;
}

const inboundNames = (layer: KerasLayer): string[] | undefined => {
  const nodes = layer.inbound_nodes;
  if (!Array.isArray(nodes) || nodes.length !== 1 || !Array.isArray(nodes[0])) return undefined;
  const names = (nodes[0] as unknown[]).map((entry) => (Array.isArray(entry) && typeof entry[0] === 'string' ? entry[0] : undefined));
  return names.every((entry) => entry !== undefined) ? (names as string[]) : undefined;
};

/**
 * The network of a TF.js layers-model topology and its weights, if it has the shape `train` builds:
 * an input, members of ReLU Dense layers (with bias) ending in one sigmoid unit, and an Average of
 * them when there are several. Anything else: undefined.
 */
export function networkSpecOf(modelTopology: unknown, weightSpecs: readonly WeightSpec[], weightData: ArrayBuffer): NetworkSpec | undefined {
  const config = (modelTopology as { config?: { layers?: KerasLayer[]; output_layers?: unknown } } | undefined)?.config;
  const layers = config?.layers;
  if (!Array.isArray(layers)) return undefined;
  const byName = new Map<string, KerasLayer>();
  for (const layer of layers) {
    const layerName = layer.config?.name;
    if (typeof layerName !== 'string' || byName.has(layerName)) return undefined;
    byName.set(layerName, layer);
  }
  const outputs = config?.output_layers;
  if (!Array.isArray(outputs) || outputs.length !== 1 || !Array.isArray(outputs[0]) || typeof outputs[0][0] !== 'string') return undefined;
  const output = byName.get(outputs[0][0]);
  if (output === undefined) return undefined;

  // Weights by name, as float32 views of the weight data (specs list them in data order).
  const weights = new Map<string, Float32Array>();
  let offset = 0;
  for (const spec of weightSpecs) {
    if ((spec.dtype ?? 'float32') !== 'float32') return undefined;
    const size = spec.shape.reduce((product, dimension) => product * dimension, 1);
    if (offset + size * 4 > weightData.byteLength) return undefined;
    weights.set(spec.name, new Float32Array(weightData.slice(offset, offset + size * 4)));
    offset += size * 4;
  }

  let inputName: string | undefined;
  let inputs = 0;
  /** A member's Dense chain from the input to `last`, or undefined if it is not one. */
  const chainTo = (last: KerasLayer): DenseSpec[] | undefined => {
    const chain: KerasLayer[] = [];
    let layer: KerasLayer | undefined = last;
    while (layer?.class_name === 'Dense') {
      chain.unshift(layer);
      const from = inboundNames(layer);
      if (from?.length !== 1) return undefined;
      layer = byName.get(from[0]!);
    }
    if (layer?.class_name !== 'InputLayer' || chain.length === 0) return undefined;
    const shape = (layer.config as { batch_input_shape?: unknown[] } | undefined)?.batch_input_shape;
    const width = Array.isArray(shape) && shape.length === 2 && typeof shape[1] === 'number' ? shape[1] : undefined;
    if (width === undefined || (inputName !== undefined && inputName !== layer.config?.name)) return undefined;
    inputName = layer.config?.name;
    inputs = width;
    const dense: DenseSpec[] = [];
    let fanIn = width;
    for (const [index, { config: layerConfig }] of chain.entries()) {
      const isOutput = index === chain.length - 1;
      if (layerConfig?.use_bias !== true || layerConfig.activation !== (isOutput ? 'sigmoid' : 'relu')) return undefined;
      const units = layerConfig.units;
      const kernel = weights.get(`${layerConfig.name}/kernel`);
      const bias = weights.get(`${layerConfig.name}/bias`);
      if (units === undefined || (isOutput && units !== 1) || kernel?.length !== fanIn * units || bias?.length !== units) return undefined;
      dense.push({ inputs: fanIn, units, kernel, bias });
      fanIn = units;
    }
    return dense;
  };

  const memberOutputs = output.class_name === 'Average' ? inboundNames(output) : output.class_name === 'Dense' ? [outputs[0][0]] : undefined;
  if (memberOutputs === undefined || memberOutputs.length === 0) return undefined;
  const members: DenseSpec[][] = [];
  for (const memberOutput of memberOutputs) {
    const layer = byName.get(memberOutput);
    const chain = layer === undefined ? undefined : chainTo(layer);
    if (chain === undefined) return undefined;
    members.push(chain);
  }
  return { inputs, members };
}

const LANE_BYTES = 16;
/** Rows per call into the module. */
const CALL_ROWS = 4096;

/**
 * A block of rows goes through the network at once: `rowVectors` vectors of four rows, each input (and
 * each hidden unit) of the block stored as those vectors side by side. Each weight, loaded once into
 * all lanes, serves them all; `unitsPerPass` units are accumulated at once.
 */
export interface KernelShape {
  rowVectors: number;
  unitsPerPass: number;
}
/** Two vectors of rows × four units: the fastest shape measured (TurboFan keeps its 8 accumulators in registers; wider ones spill). */
export const DEFAULT_KERNEL: KernelShape = { rowVectors: 2, unitsPerPass: 4 };

// XNNPACK's f32 sigmoid (wasmsimd rr2-p5-div) constants, as decimals of their float32 values
// (0x1.8000FEp23, -0x1.715476p0, 0x1.62E400p-1, 0x1.7F7D1Cp-20, the polynomial, 0x1.5D589Ep6).
const SIGMOID = {
  magicBias: 12583039,
  minusLog2e: -1.4426950216293335,
  ln2Hi: 0.693145751953125,
  ln2Lo: 1.428606765330187e-6,
  c5: -0.008289290592074394,
  c4: 0.04189782217144966,
  c3: -0.16667652130126953,
  c2: 0.4999915063381195,
  c1: -0.9999997019767761,
  denormCutoff: 87.33654022216797,
};

/** The parts of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface CompiledNetwork {
  memory: { readonly buffer: ArrayBuffer };
  /** Rows per block: the input layout is heap[input / 4 + (block · inputs + k) · blockRows + row in block]. */
  blockRows: number;
  blocksPerCall: number;
  /** forward(inputAddress, outputAddress, blocks) */
  forward: (input: number, output: number, blocks: number) => void;
  inputAddress: number;
  outputAddress: number;
}

/** Emits the module for `spec` and instantiates it with its weights in place. */
export function compileNetwork(spec: NetworkSpec, shape: KernelShape = DEFAULT_KERNEL): CompiledNetwork {
  const ROW_VECTORS = shape.rowVectors;
  const UNITS_PER_PASS = shape.unitsPerPass;
  const BLOCK_ROWS = 4 * ROW_VECTORS;
  const BLOCK_BYTES = LANE_BYTES * ROW_VECTORS;
  const BLOCKS_PER_CALL = CALL_ROWS / BLOCK_ROWS;
  // Memory: every layer's weights and biases, a scratch area per hidden layer (a block × units), then
  // the input blocks and the output scores.
  let address = 0;
  const placed: Array<{ at: number; values: Float32Array }> = [];
  const place = (values: Float32Array): number => {
    const at = address;
    placed.push({ at, values });
    address += Math.ceil((values.length * 4) / LANE_BYTES) * LANE_BYTES;
    return at;
  };
  const layout = spec.members.map((member) =>
    member.map((layer, index) => {
      const kernelAt = place(layer.kernel);
      const biasAt = place(layer.bias);
      const outputAt = index === member.length - 1 ? -1 : address;
      if (outputAt >= 0) address += layer.units * BLOCK_BYTES;
      return { ...layer, kernelAt, biasAt, outputAt };
    }),
  );
  const inputAddress = address;
  address += BLOCKS_PER_CALL * spec.inputs * BLOCK_BYTES;
  const outputAddress = address;
  address += BLOCKS_PER_CALL * BLOCK_BYTES;
  const pages = Math.ceil(address / 65_536) + 1;

  const f = new FunctionBuilder(3);
  const [inputParam, outputParam, blocksParam] = [0, 1, 2];
  const block = f.local(I32);
  const blockInput = f.local(I32);
  const blockOutput = f.local(I32);
  const xPointer = f.local(I32);
  const xEnd = f.local(I32);
  const wPointer = f.local(I32);
  const xs = Array.from({ length: ROW_VECTORS }, () => f.local(V128));
  const w = f.local(V128);
  /** accumulators[j][r]: unit unit0 + j of the block's row vector r. */
  const accumulators = Array.from({ length: UNITS_PER_PASS }, () => Array.from({ length: ROW_VECTORS }, () => f.local(V128)));
  const probabilities = spec.members.map(() => Array.from({ length: ROW_VECTORS }, () => f.local(V128)));
  const vz = f.local(V128);
  const vn = f.local(V128);
  const vs = f.local(V128);
  const vt = f.local(V128);
  const vp = f.local(V128);
  const ve = f.local(V128);
  const vf = f.local(V128);
  const vx = f.local(V128);

  /** acc[j][r] = acc[j][r] + x[k][r] · w[k][unit0 + j] over k, for `count` units. */
  const dotProducts = (inputAt: { local: number } | { constant: number }, layer: DenseSpec & { kernelAt: number }, unit0: number, count: number): void => {
    if ('local' in inputAt) f.get(inputAt.local).set(xPointer);
    else f.i32(inputAt.constant).set(xPointer);
    f.get(xPointer).i32(layer.inputs * BLOCK_BYTES).i32Add().set(xEnd);
    f.i32(layer.kernelAt + unit0 * 4).set(wPointer);
    f.loop();
    for (let r = 0; r < ROW_VECTORS; r++) f.get(xPointer).load(r * LANE_BYTES).set(xs[r]!);
    for (let j = 0; j < count; j++) {
      f.get(wPointer).loadSplat(j * 4).set(w);
      for (let r = 0; r < ROW_VECTORS; r++) {
        const acc = accumulators[j]![r]!;
        f.get(acc).get(xs[r]!).get(w).f32x4Mul().f32x4Add().set(acc);
      }
    }
    f.get(wPointer).i32(layer.units * 4).i32Add().set(wPointer);
    f.get(xPointer).i32(BLOCK_BYTES).i32Add().set(xPointer);
    f.get(xPointer).get(xEnd).i32Ne().brIf(0);
    f.end();
  };

  /** XNNPACK's sigmoid of the v128 in `vx`, into `vf`. */
  const sigmoid = (): void => {
    const c = SIGMOID;
    f.get(vx).f32x4Abs().set(vz);
    f.f32x4Const(c.magicBias).get(vz).f32x4Const(c.minusLog2e).f32x4Mul().f32x4Add().set(vn);
    f.get(vn).i32(23).i32x4Shl().set(vs);
    f.get(vn).f32x4Const(c.magicBias).f32x4Sub().set(vn);
    f.get(vz).get(vn).f32x4Const(c.ln2Hi).f32x4Mul().f32x4Add().set(vt);
    f.get(vt).get(vn).f32x4Const(c.ln2Lo).f32x4Mul().f32x4Add().set(vt);
    f.f32x4Const(c.c4).get(vt).f32x4Const(c.c5).f32x4Mul().f32x4Add().set(vp);
    for (const coefficient of [c.c3, c.c2, c.c1]) f.f32x4Const(coefficient).get(vt).get(vp).f32x4Mul().f32x4Add().set(vp);
    f.get(vt).get(vs).f32x4Mul().set(vt);
    f.get(vs).get(vt).get(vp).f32x4Mul().f32x4Add().set(ve);
    f.get(ve).get(ve).f32x4Const(1).f32x4Add().f32x4Div().set(vf);
    f.get(vf).get(vz).f32x4Const(c.denormCutoff).f32x4Gt().andNot().set(vf);
    // x < 0: f, else 1 − f (the sign bit, spread over the lane, selects).
    f.get(vf).f32x4Const(1).get(vf).f32x4Sub().get(vx).i32(31).i32x4ShrS().bitselect().set(vf);
  };

  f.get(inputParam).set(blockInput);
  f.get(outputParam).set(blockOutput);
  f.i32(0).set(block);
  f.block().loop();
  f.get(block).get(blocksParam).i32GeU().brIf(1);
  layout.forEach((member, memberIndex) => {
    member.forEach((layer, index) => {
      const inputAt = index === 0 ? { local: blockInput } : { constant: member[index - 1]!.outputAt };
      if (layer.outputAt < 0) {
        // The sigmoid unit: the dot product from 0, then the bias, then the sigmoid.
        for (let r = 0; r < ROW_VECTORS; r++) f.f32x4Const(0).set(accumulators[0]![r]!);
        dotProducts(inputAt, layer, 0, 1);
        for (let r = 0; r < ROW_VECTORS; r++) {
          f.get(accumulators[0]![r]!).i32(0).loadSplat(layer.biasAt).f32x4Add().set(vx);
          sigmoid();
          f.get(vf).set(probabilities[memberIndex]![r]!);
        }
        return;
      }
      for (let unit0 = 0; unit0 < layer.units; unit0 += UNITS_PER_PASS) {
        const count = Math.min(UNITS_PER_PASS, layer.units - unit0);
        for (let j = 0; j < count; j++) {
          f.i32(0).loadSplat(layer.biasAt + (unit0 + j) * 4).set(w);
          for (let r = 0; r < ROW_VECTORS; r++) f.get(w).set(accumulators[j]![r]!);
        }
        dotProducts(inputAt, layer, unit0, count);
        for (let j = 0; j < count; j++) {
          for (let r = 0; r < ROW_VECTORS; r++) {
            f.i32(0).f32x4Const(0).get(accumulators[j]![r]!).f32x4Pmax().store(layer.outputAt + (unit0 + j) * BLOCK_BYTES + r * LANE_BYTES);
          }
        }
      }
    });
  });
  for (let r = 0; r < ROW_VECTORS; r++) {
    f.get(blockOutput).get(probabilities[0]![r]!);
    for (let member = 1; member < probabilities.length; member++) f.get(probabilities[member]![r]!).f32x4Add();
    if (probabilities.length > 1) f.f32x4Const(Math.fround(1 / probabilities.length)).f32x4Mul();
    f.store(r * LANE_BYTES);
  }
  f.get(blockInput).i32(spec.inputs * BLOCK_BYTES).i32Add().set(blockInput);
  f.get(blockOutput).i32(BLOCK_BYTES).i32Add().set(blockOutput);
  f.get(block).i32(1).i32Add().set(block);
  f.br(0);
  f.end().end();

  const module = new wasm.Module(moduleBytes({ pages, functionName: 'forward', paramCount: 3, body: f }));
  const instance = new wasm.Instance(module, {});
  const memory = instance.exports['memory'] as CompiledNetwork['memory'];
  const heap = new Float32Array(memory.buffer);
  for (const { at, values } of placed) heap.set(values, at / 4);
  return { memory, blockRows: BLOCK_ROWS, blocksPerCall: BLOCKS_PER_CALL, forward: instance.exports['forward'] as CompiledNetwork['forward'], inputAddress, outputAddress };
}

/**
 * The model as a FraudModel scoring with the compiled forward pass, or undefined when the network is
 * not of the shape it compiles. Standardisation and hinges as `fraudModelOf` does them (in double
 * precision, rounded once to float32).
 */
export function forwardPassOf(spec: NetworkSpec | undefined, metadata: ModelMetadata): FraudModel | undefined {
  const width = metadata.featureNames.length;
  const hinges = hingeColumns(metadata, metadata.featureNames);
  const inputs = width + hinges.length;
  if (spec === undefined || spec.inputs !== inputs || width !== FEATURE_NAMES.length) return undefined;
  const network = compileNetwork(spec);
  const { mean, std } = metadata.normalisation;
  const scale = Float32Array.from(std, (value) => 1 / value);
  const offset = Float32Array.from(mean);
  // The hinges as columns: the standardising loop reads them for every row.
  const hingeCount = hinges.length;
  const hingeFeature = Int32Array.from(hinges, (hinge) => hinge.column);
  const hingeKnot = Float64Array.from(hinges, (hinge) => hinge.knot);
  const hingeIsStep = Uint8Array.from(hinges, (hinge) => (hinge.step ? 1 : 0));
  return {
    version: metadata.version,
    featureNames: metadata.featureNames,
    threshold: metadata.threshold.value,
    featureMeans: mean.slice(0, width),
    predict(rows: Float32Array, n: number): Promise<Float32Array> {
      if (rows.length !== n * width) {
        return Promise.reject(new RangeError(`Expected ${n} rows of ${width} features (${n * width} values), got ${rows.length} values`));
      }
      const scores = new Float32Array(n);
      // Views are made per call: the module's memory never grows, but a view must not outlive a grow.
      const heap = new Float32Array(network.memory.buffer);
      const inputBase = network.inputAddress / 4;
      const outputBase = network.outputAddress / 4;
      const { blockRows } = network;
      for (let start = 0; start < n; start += CALL_ROWS) {
        const count = Math.min(CALL_ROWS, n - start);
        const blocks = Math.ceil(count / blockRows);
        // Block b holds its rows input by input: input k of its row i at heap[base + (b · inputs + k) · blockRows + i].
        for (let row = 0; row < count; row++) {
          const from = (start + row) * width;
          const to = inputBase + Math.floor(row / blockRows) * inputs * blockRows + (row % blockRows);
          for (let column = 0; column < width; column++) heap[to + column * blockRows] = (rows[from + column]! - offset[column]!) * scale[column]!;
          for (let index = 0, at = to + width * blockRows; index < hingeCount; index++, at += blockRows) {
            const x = rows[from + hingeFeature[index]!]!;
            const knot = hingeKnot[index]!;
            // hingeValue, rounded to float32 as training saw it.
            const value = hingeIsStep[index] === 1 ? (x > knot ? 1 : 0) : Math.fround(Math.max(0, x - knot));
            heap[at] = (value - offset[width + index]!) * scale[width + index]!;
          }
        }
        network.forward(network.inputAddress, network.outputAddress, blocks);
        scores.set(heap.subarray(outputBase, outputBase + count), start);
      }
      return Promise.resolve(scores);
    },
  };
}
