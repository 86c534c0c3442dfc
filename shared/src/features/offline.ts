/**
 * The feature engine's offline mode: the vectors of a whole file of transactions at once, the same
 * numbers `createFeatureEngine` gives a replay of it (offline replay: a chargeback label per fraud,
 * arriving the label delay after it), from columns instead of records. Everything is known up front,
 * so each card's and each terminal's transactions are visited once, in time order, with pointers to
 * where each window starts: no per-transaction search, history store or label list.
 *
 * Why the two agree (the streaming engine's `computeFeatures`, for rows in (timestamp, id) order and
 * labels as the replay gives them):
 * - a card's entries up to a transaction's own are the card's rows up to it in this order;
 * - a fraud's label counts for a transaction at t iff its labeledAt (its time + the delay d) ≤ t, so
 *   the known frauds of a terminal are its fraud rows in (t − d − 30 days, t − d]: the same set as the
 *   30-day risk window's, and every one of them is at or before the window's end;
 * - entries the streaming store drops or sweeps are older than anything a window reaches.
 * `model/test/offline-features.test.ts` compares the two on every row of replays.
 */
import { DAY_MS, HOUR_MS } from '../durations.js';
import type { HandbookColumns } from '../csv/columnar.js';
import { CARD_WINDOW_DAYS, DEFAULT_LABEL_DELAY_DAYS, FEATURE_NAMES, TERMINAL_WINDOW_DAYS } from './names.js';

export type OfflineTransactions = Pick<HandbookColumns, 'n' | 'transactionIds' | 'timestampsMs' | 'cardNumbers' | 'terminalNumbers' | 'cents' | 'fraud'>;

export interface OfflineFeatureOptions {
  labelDelayDays?: number;
  /** Vectors only for rows from this index on (earlier rows are history); default 0. */
  fromIndex?: number;
}

const FEATURE_COUNT = FEATURE_NAMES.length;
const [CARD_W1, CARD_W7, CARD_W30] = CARD_WINDOW_DAYS.map((days) => days * DAY_MS) as [number, number, number];
const [TERMINAL_W1, TERMINAL_W7, TERMINAL_W30] = TERMINAL_WINDOW_DAYS.map((days) => days * DAY_MS) as [number, number, number];
const NO_PREVIOUS_HOURS = CARD_W30 / HOUR_MS;

/**
 * Whether the rows are in strictly increasing (timestamp, transaction id) order, the order the
 * streaming engine keeps histories in: the offline mode needs it (a file with ties out of order, a
 * duplicate or a late row goes through the streaming engine instead).
 */
export function inReplayOrder(rows: Pick<OfflineTransactions, 'n' | 'timestampsMs' | 'transactionIds'>): boolean {
  const { n, timestampsMs, transactionIds } = rows;
  for (let index = 1; index < n; index++) {
    const dt = timestampsMs[index]! - timestampsMs[index - 1]!;
    if (dt < 0 || (dt === 0 && transactionIds[index]! <= transactionIds[index - 1]!)) return false;
  }
  return true;
}

/**
 * Rows grouped by key (card or terminal number), each group in row order (a counting sort): fills
 * `order` with the rows group by group and `positionOf` with each row's place in it; returns where
 * each group starts. Rows come in time order, so
 * the sort writes at one place per group at a time, and so do the passes that follow it: few cache lines
 * are live at once, where visiting the rows of one card after another would jump across the file.
 */
function groupRows(keys: Int32Array, n: number, positionOf: Int32Array, order: Int32Array): Int32Array {
  let maxKey = 0;
  for (let index = 0; index < n; index++) if (keys[index]! > maxKey) maxKey = keys[index]!;
  const groupStarts = new Int32Array(maxKey + 2);
  for (let index = 0; index < n; index++) groupStarts[keys[index]! + 1]!++;
  for (let key = 0; key <= maxKey; key++) groupStarts[key + 1]! += groupStarts[key]!;
  const next = groupStarts.slice(0, maxKey + 1);
  for (let index = 0; index < n; index++) {
    const position = next[keys[index]!]!++;
    order[position] = index;
    positionOf[index] = position;
  }
  return groupStarts;
}

/** Inserts `value` into the sorted values[0, count). */
function insertSorted(values: Float64Array, count: number, value: number): void {
  let index = count;
  while (index > 0 && values[index - 1]! > value) {
    values[index] = values[index - 1]!;
    index--;
  }
  values[index] = value;
}

/** Removes one `value` from the sorted values[0, count). */
function removeSorted(values: Float64Array, count: number, value: number): void {
  let low = 0;
  let high = count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! < value) low = middle + 1;
    else high = middle;
  }
  values.copyWithin(low, low + 1, count);
}

/**
 * Floats each pass writes per position of its grouping (13 and 12 used), in the order the assembly
 * reads them: a row's share is one 64-byte cache line, which the assembly reads in one miss.
 */
export const PASS_WIDTH = 16;

/**
 * What the card pass or the terminal pass computes: PASS_WIDTH floats per position of its grouping
 * (rows by card, or by terminal, each in time order) and each row's position. Rows before the pass's
 * `fromIndex` are left unset.
 */
export interface PassFeatures {
  features: Float32Array;
  positionOf: Int32Array;
  /** The row at each position. */
  order: Int32Array;
}

/** Room for a pass over n rows; `shared`: in SharedArrayBuffers, for a worker thread to fill or read. */
export function allocatePass(n: number, shared = false): PassFeatures {
  const make = (bytes: number): ArrayBuffer | SharedArrayBuffer => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  return { features: new Float32Array(make(n * PASS_WIDTH * 4)), positionOf: new Int32Array(make(n * 4)), order: new Int32Array(make(n * 4)) };
}

/** How often the card pass reports its progress (positions). */
const PROGRESS_POSITIONS = 4096;

/**
 * The card features of every row at or after `fromIndex`, by card position (PASS_WIDTH each): amount,
 * weekend, night, the three windows' counts and averages, the two ratios to the previous average,
 * hours since the previous transaction, the ratio to the previous median. `onProgress` hears, every
 * few thousand positions, up to which position the features are written (cards are done in order).
 */
export function computeCardFeatures(rows: OfflineTransactions, fromIndex: number, into?: PassFeatures, onProgress?: (positionsDone: number) => void): PassFeatures {
  const { n } = rows;
  const pass = into ?? allocatePass(n);
  const { features: out, positionOf, order } = pass;
  const groupStarts = groupRows(rows.cardNumbers, n, positionOf, order);
  let reported = 0;
  // The engine sums `centsOf(amount)` of the row's amount (cents / 100): the same cents, by its rounding.
  const ownCents = new Float64Array(n);
  for (let index = 0; index < n; index++) ownCents[index] = Math.round((rows.cents[index]! / 100) * 100);
  // Each card's times and cents side by side: the windows then read neighbouring memory only.
  const times = new Float64Array(n);
  const amounts = new Float64Array(n);
  for (let row = 0; row < n; row++) {
    const p = positionOf[row]!;
    times[p] = rows.timestampsMs[row]!;
    amounts[p] = ownCents[row]!;
  }
  // Running totals of cents along `order` (integers, so exact): the sum of [from, p] is totals[p + 1] − totals[from].
  const totals = new Float64Array(n + 1);
  for (let p = 0; p < n; p++) totals[p + 1] = totals[p]! + amounts[p]!;
  let window = new Float64Array(256);
  for (let group = 0; group + 1 < groupStarts.length; group++) {
    const first = groupStarts[group]!;
    const last = groupStarts[group + 1]!;
    let from1 = first;
    let from7 = first;
    let from30 = first;
    // The sorted amounts of positions [from30, p): the card's earlier transactions in its 30-day window.
    let windowCount = 0;
    for (let p = first; p < last; p++) {
      const t = times[p]!;
      const cents = amounts[p]!;
      while (times[from1]! <= t - CARD_W1) from1++;
      while (times[from7]! <= t - CARD_W7) from7++;
      while (times[from30]! <= t - CARD_W30) {
        removeSorted(window, windowCount--, amounts[from30]!);
        from30++;
      }
      if (order[p]! >= fromIndex) {
        const through = totals[p + 1]!;
        const sum1 = through - totals[from1]!;
        const sum7 = through - totals[from7]!;
        const sum30 = through - totals[from30]!;
        const count1 = p + 1 - from1;
        const count7 = p + 1 - from7;
        const count30 = p + 1 - from30;
        const previousMs = p - 1 >= from30 ? times[p - 1]! : -Infinity;
        const dayIndex = Math.floor(t / DAY_MS);
        const dayOfWeek = (dayIndex + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
        const hour = Math.floor((t - dayIndex * DAY_MS) / HOUR_MS);
        let median = 0;
        if (windowCount > 0) {
          const middle = windowCount >>> 1;
          median = windowCount % 2 === 1 ? window[middle]! : (window[middle - 1]! + window[middle]!) / 2;
        }
        const offset = p * PASS_WIDTH;
        out[offset] = cents / 100;
        out[offset + 1] = dayOfWeek === 0 || dayOfWeek === 6 ? 1 : 0;
        out[offset + 2] = hour <= 6 ? 1 : 0;
        out[offset + 3] = count1;
        out[offset + 4] = count1 > 0 ? sum1 / count1 / 100 : 0;
        out[offset + 5] = count7;
        out[offset + 6] = count7 > 0 ? sum7 / count7 / 100 : 0;
        out[offset + 7] = count30;
        out[offset + 8] = count30 > 0 ? sum30 / count30 / 100 : 0;
        out[offset + 9] = count7 > 1 ? cents / Math.max((sum7 - cents) / (count7 - 1), 1) : 1;
        out[offset + 10] = count30 > 1 ? cents / Math.max((sum30 - cents) / (count30 - 1), 1) : 1;
        out[offset + 11] = previousMs === -Infinity ? NO_PREVIOUS_HOURS : (t - previousMs) / HOUR_MS;
        out[offset + 12] = count30 > 1 ? cents / Math.max(median, 1) : 1;
      }
      if (windowCount === window.length) {
        const bigger = new Float64Array(window.length * 2);
        bigger.set(window);
        window = bigger;
      }
      insertSorted(window, windowCount++, cents);
    }
    if (onProgress !== undefined && last - reported >= PROGRESS_POSITIONS) onProgress((reported = last));
  }
  onProgress?.(n);
  return pass;
}

/**
 * The terminal features of every row at or after `fromIndex`, by terminal position (PASS_WIDTH
 * each): the delayed windows' counts and risks, then days since the last and the first known fraud,
 * known frauds, transactions after the last, risk since the first, days since the transaction before it.
 */
export function computeTerminalFeatures(
  rows: Pick<OfflineTransactions, 'n' | 'timestampsMs' | 'terminalNumbers' | 'fraud'>,
  fromIndex: number,
  labelDelayDays: number = DEFAULT_LABEL_DELAY_DAYS,
  into?: PassFeatures,
): PassFeatures {
  checkDelay(labelDelayDays);
  const delayMs = labelDelayDays * DAY_MS;
  const { n } = rows;
  const pass = into ?? allocatePass(n);
  const { features: out, positionOf, order } = pass;
  const groupStarts = groupRows(rows.terminalNumbers, n, positionOf, order);
  const times = new Float64Array(n);
  const fraud = new Uint8Array(n);
  for (let row = 0; row < n; row++) {
    const p = positionOf[row]!;
    times[p] = rows.timestampsMs[row]!;
    fraud[p] = rows.fraud[row]!;
  }
  const terminalMs = delayMs + TERMINAL_W30;
  const noFraudDays = terminalMs / DAY_MS;
  // Frauds before each position, and the first fraud at or after it (within its group).
  const fraudsBefore = new Int32Array(n + 1);
  const nextFraud = new Int32Array(n + 1);
  for (let group = 0; group + 1 < groupStarts.length; group++) {
    const first = groupStarts[group]!;
    const last = groupStarts[group + 1]!;
    let frauds = 0;
    for (let p = first; p < last; p++) {
      fraudsBefore[p] = frauds;
      frauds += fraud[p]!;
    }
    fraudsBefore[last] = frauds;
    let next = last;
    for (let p = last - 1; p >= first; p--) {
      if (fraud[p] === 1) next = p;
      nextFraud[p] = next;
    }
  }

  for (let group = 0; group + 1 < groupStarts.length; group++) {
    const first = groupStarts[group]!;
    const last = groupStarts[group + 1]!;
    let end = first;
    let from1 = first;
    let from7 = first;
    let from30 = first;
    let lastFraud = -1;
    for (let p = first; p < last; p++) {
      if (order[p]! < fromIndex) continue;
      const t = times[p]!;
      const windowEnd = t - delayMs;
      while (end < last && times[end]! <= windowEnd) {
        if (fraud[end] === 1) lastFraud = end;
        end++;
      }
      while (from1 < end && times[from1]! <= windowEnd - TERMINAL_W1) from1++;
      while (from7 < end && times[from7]! <= windowEnd - TERMINAL_W7) from7++;
      while (from30 < end && times[from30]! <= windowEnd - TERMINAL_W30) from30++;
      const terminal1 = end - from1;
      const terminal7 = end - from7;
      const terminal30 = end - from30;
      const fraud1 = fraudsBefore[end]! - fraudsBefore[from1]!;
      const fraud7 = fraudsBefore[end]! - fraudsBefore[from7]!;
      const fraud30 = fraudsBefore[end]! - fraudsBefore[from30]!;
      const firstFraud = from30 < end ? nextFraud[from30]! : last;
      const offset = p * PASS_WIDTH;
      out[offset] = terminal1;
      out[offset + 1] = terminal1 > 0 ? fraud1 / terminal1 : 0;
      out[offset + 2] = terminal7;
      out[offset + 3] = terminal7 > 0 ? fraud7 / terminal7 : 0;
      out[offset + 4] = terminal30;
      out[offset + 5] = terminal30 > 0 ? fraud30 / terminal30 : 0;
      out[offset + 8] = fraud30;
      if (firstFraud >= end) {
        out[offset + 6] = noFraudDays;
        out[offset + 7] = noFraudDays;
        out[offset + 9] = terminal30;
        out[offset + 10] = 0;
        out[offset + 11] = noFraudDays;
        continue;
      }
      const firstFraudMs = times[firstFraud]!;
      const lastFraudMs = times[lastFraud]!;
      out[offset + 6] = (t - lastFraudMs) / DAY_MS;
      out[offset + 7] = (t - firstFraudMs) / DAY_MS;
      // The entries after the last fraud (the first with a later time on) up to the window's end.
      let afterLast = lastFraud + 1;
      while (afterLast < end && times[afterLast] === lastFraudMs) afterLast++;
      out[offset + 9] = lastFraudMs >= windowEnd ? 0 : end - afterLast;
      // The entries from the first fraud's time on, and the last one before it.
      let atFirst = firstFraud;
      while (atFirst > first && times[atFirst - 1] === firstFraudMs) atFirst--;
      const sinceFirstFraud = end - atFirst;
      out[offset + 10] = sinceFirstFraud > 0 ? Math.min(1, fraud30 / sinceFirstFraud) : 0;
      const beforeFirstFraudMs = atFirst > first ? times[atFirst - 1]! : -Infinity;
      out[offset + 11] = beforeFirstFraudMs > t - terminalMs ? (t - beforeFirstFraudMs) / DAY_MS : noFraudDays;
    }
  }
  return pass;
}

function checkDelay(labelDelayDays: number): void {
  if (!Number.isFinite(labelDelayDays) || labelDelayDays <= 0) {
    throw new RangeError(`Expected \`labelDelayDays\` to be a finite number > 0, got ${labelDelayDays}`);
  }
}

/**
 * Writes one row's vector (FEATURE_NAMES order) at out[offset], from its card's and its terminal's
 * pass outputs at the given positions.
 */
export function assembleRow(card: Float32Array, cardAt: number, terminal: Float32Array, terminalAt: number, out: Float32Array, offset: number): void {
  const c = cardAt * PASS_WIDTH;
  const m = terminalAt * PASS_WIDTH;
  for (let k = 0; k < 9; k++) out[offset + k] = card[c + k]!;
  for (let k = 0; k < 6; k++) out[offset + 9 + k] = terminal[m + k]!;
  out[offset + 15] = card[c + 9]!;
  out[offset + 16] = card[c + 10]!;
  out[offset + 17] = card[c + 11]!;
  for (let k = 6; k < 12; k++) out[offset + 12 + k] = terminal[m + k]!;
  out[offset + 24] = card[c + 12]!;
}

/** Rows [from, to) of the vectors (FEATURE_NAMES order), row-major, from the two passes' outputs. */
export function assembleFeatures(card: PassFeatures, terminal: PassFeatures, from: number, to: number, out = new Float32Array((to - from) * FEATURE_COUNT)): Float32Array {
  for (let row = from, o = 0; row < to; row++, o += FEATURE_COUNT) {
    assembleRow(card.features, card.positionOf[row]!, terminal.features, terminal.positionOf[row]!, out, o);
  }
  return out;
}

/**
 * The vectors (FEATURE_NAMES order) of rows [fromIndex, n), row-major, as a replay of every row through
 * `createFeatureEngine` gives them. The rows must be `inReplayOrder`.
 */
export function computeOfflineFeatures(rows: OfflineTransactions, options: OfflineFeatureOptions = {}): Float32Array {
  const labelDelayDays = options.labelDelayDays ?? DEFAULT_LABEL_DELAY_DAYS;
  checkDelay(labelDelayDays);
  const fromIndex = Math.min(rows.n, Math.max(0, options.fromIndex ?? 0));
  const card = computeCardFeatures(rows, fromIndex);
  const terminal = computeTerminalFeatures(rows, fromIndex, labelDelayDays);
  return assembleFeatures(card, terminal, fromIndex, rows.n);
}
