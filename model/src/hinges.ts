/** The extra network inputs a model's metadata declares (hinges and steps), without TensorFlow.js or zod. */
import type { ModelMetadata } from './model-files.js';

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

