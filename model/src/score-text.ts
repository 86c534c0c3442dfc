/**
 * The scores file's text written straight into bytes: `TRANSACTION_ID,score` lines with the score as
 * `score.toPrecision(8)` gives it (what `scoreLines` writes), for 1.7 M rows without a string each.
 */
import { assembleRow, type PassFeatures } from '@fraudstream/shared/features/offline';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import type { FraudModel } from './model-files.js';

const CHAR_0 = 48;
const DOT = 46;

/** Powers of ten as exact doubles, 10^0 … 10^22. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, power) => 10 ** power);

/** Writes the decimal digits of a non-negative integer below 2^53 at `at`; returns the end. */
export function writeInteger(bytes: Uint8Array, at: number, value: number): number {
  let digits = 1;
  while (digits < 16 && value >= POWERS_OF_TEN[digits]!) digits++;
  for (let index = at + digits - 1; index >= at; index--) {
    const quotient = Math.floor(value / 10);
    bytes[index] = CHAR_0 + (value - quotient * 10);
    value = quotient;
  }
  return at + digits;
}

/**
 * Writes `value.toPrecision(8)` at `at`; returns the end. Scores of float32 models in [1e-5, 10) are
 * formatted here: there, value × 10^(7 − e) is exact in a double (a float32's 24 significant bits times
 * 5^(7 − e), at most 5^12, of 28 bits), so rounding it to an integer is exact and ties go up, as
 * toPrecision does. Other values (and any double with more bits than a float32) go through toPrecision.
 */
export function writePrecision8(bytes: Uint8Array, at: number, value: number): number {
  if (value >= 1e-5 && value < 10 && Math.fround(value) === value) {
    let exponent = Math.min(0, Math.max(-5, Math.floor(Math.log10(value))));
    let scaled = value * POWERS_OF_TEN[7 - exponent]!;
    // log10 can be off by one next to a power of ten; the exact product decides.
    if (scaled < 1e7 && exponent > -5) scaled = value * POWERS_OF_TEN[7 - --exponent]!;
    else if (scaled >= 1e8 && exponent < 0) scaled = value * POWERS_OF_TEN[7 - ++exponent]!;
    if (scaled >= 1e7 && scaled < 1e8) {
      let digits = Math.floor(scaled);
      if (scaled - digits >= 0.5) digits++;
      if (digits === 1e8) {
        digits = 1e7;
        exponent++;
      }
      if (exponent < 0) {
        bytes[at++] = CHAR_0;
        bytes[at++] = DOT;
        for (let zero = -1; zero > exponent; zero--) bytes[at++] = CHAR_0;
        return writeInteger(bytes, at, digits);
      }
      if (exponent === 0 || exponent === 1) {
        // d.ddddddd or dd.dddddd: the digits with the point after exponent + 1 of them.
        const end = writeInteger(bytes, at + 1, digits);
        for (let index = at; index <= at + exponent; index++) bytes[index] = bytes[index + 1]!;
        bytes[at + exponent + 1] = DOT;
        return end;
      }
    }
  }
  const text = value.toPrecision(8);
  for (let index = 0; index < text.length; index++) bytes[at + index] = text.charCodeAt(index);
  return at + text.length;
}

/** The longest line `writeScoreLine` writes: 16 digits of id, a comma, a toPrecision(8) text, a newline. */
export const MAX_SCORE_LINE_BYTES = 16 + 1 + 16 + 1;

/** `TRANSACTION_ID,score\n` for the Handbook's numeric id and a score; returns the end. */
export function writeScoreLine(bytes: Uint8Array, at: number, transactionId: number, score: number): number {
  at = writeInteger(bytes, at, transactionId);
  bytes[at++] = 44;
  at = writePrecision8(bytes, at, score);
  bytes[at++] = 10;
  return at;
}

/** Positions assembled and scored at a time: their vectors stay in the CPU cache between the two. */
export const CHUNK_POSITIONS = 4096;

/**
 * The scoring both threads share (SharedArrayBuffers): chunks of card positions are taken in turn from
 * `nextChunk`; a chunk is scored once the card pass has written it (`cardReady`: positions done); each
 * row's score lands at its row in `scores`. In card order, a chunk reads its card features in sequence.
 */
export interface SharedScoring {
  n: number;
  fromIndex: number;
  card: PassFeatures;
  terminal: PassFeatures;
  cardReady: Int32Array;
  nextChunk: Int32Array;
  scores: Float32Array;
}

/** Takes and scores chunks until none is left; `wait`: for the card pass (in a worker thread, which may block). */
export async function scoreChunks(model: FraudModel, shared: SharedScoring, wait: boolean): Promise<void> {
  const { n, fromIndex, card, terminal, cardReady, nextChunk, scores } = shared;
  const width = FEATURE_NAMES.length;
  const vectors = new Float32Array(CHUNK_POSITIONS * width);
  const rows = new Int32Array(CHUNK_POSITIONS);
  for (;;) {
    const start = Atomics.add(nextChunk, 0, 1) * CHUNK_POSITIONS;
    if (start >= n) return;
    const end = Math.min(n, start + CHUNK_POSITIONS);
    if (wait) for (let ready = Atomics.load(cardReady, 0); ready < end; ready = Atomics.load(cardReady, 0)) Atomics.wait(cardReady, 0, ready);
    let count = 0;
    for (let p = start; p < end; p++) {
      const row = card.order[p]!;
      if (row < fromIndex) continue;
      rows[count] = row;
      assembleRow(card.features, p, terminal.features, terminal.positionOf[row]!, vectors, count * width);
      count++;
    }
    if (count === 0) continue;
    const chunkScores = await model.predict(vectors.subarray(0, count * width), count);
    for (let index = 0; index < count; index++) scores[rows[index]!] = chunkScores[index]!;
  }
}

/** The `TRANSACTION_ID,score` lines of rows [from, to), their scores at their rows in `scores`. */
export function formatScoreLines(transactionIds: Float64Array, scores: Float32Array, from: number, to: number): Uint8Array {
  const bytes = new Uint8Array((to - from) * MAX_SCORE_LINE_BYTES);
  let end = 0;
  for (let row = from; row < to; row++) end = writeScoreLine(bytes, end, transactionIds[row]!, scores[row]!);
  return bytes.subarray(0, end);
}
