import type { Label, Transaction } from '../events.js';
import { DAY_MS, HOUR_MS } from '../durations.js';
import {
  CARD_WINDOW_DAYS,
  DEFAULT_LABEL_DELAY_DAYS,
  FEATURE_NAMES,
  TERMINAL_WINDOW_DAYS,
} from './names.js';
import {
  centsOf,
  type FeatureStore,
  type HistorySpans,
  type LabelRecord,
  type RecordOptions,
  type LabelEntry,
  type TimeSeries,
  type TransactionRecord,
} from './store.js';

export interface FeatureEngine {
  /** Records the transactions (idempotently, by transactionId) and returns their vectors: n × FEATURE_NAMES.length, row-major, input order. */
  transform(transactions: readonly Transaction[], options?: RecordOptions): Promise<Float32Array>;
  /** Applies labels (idempotent: the same label twice changes nothing). */
  applyLabels(labels: readonly Label[]): Promise<void>;
  /** `transform` for callers that already hold records (offline replay): the same computation. */
  transformRecords(records: readonly TransactionRecord[], options?: RecordOptions): Promise<Float32Array>;
  /** Records the transactions as history only: `transformRecords` without computing their vectors. */
  recordRecords(records: readonly TransactionRecord[], options?: RecordOptions): Promise<void>;
  applyLabelRecords(records: readonly LabelRecord[]): Promise<void>;
  /** Partitions changed owner: see `FeatureStore.forgetCards`. */
  forgetCards(): void;
  /** Closes the store. Calling it twice is harmless. */
  close(): Promise<void>;
}

export interface FeatureEngineOptions {
  /** How long after a transaction its chargeback label arrives; the terminal windows are shifted back by it. */
  labelDelayDays?: number;
}

const FEATURE_COUNT = FEATURE_NAMES.length;
const LONGEST_CARD_WINDOW_MS = Math.max(...CARD_WINDOW_DAYS) * DAY_MS;
const NO_PREVIOUS_HOURS = LONGEST_CARD_WINDOW_MS / HOUR_MS;

export function transactionRecordOf(tx: Transaction): TransactionRecord {
  return {
    transactionId: tx.transactionId,
    timestampMs: Date.parse(tx.timestamp),
    cardId: tx.cardId,
    terminalId: tx.terminalId,
    amount: tx.amount,
  };
}

export function labelRecordOf(label: Label): LabelRecord {
  return {
    transactionId: label.transactionId,
    terminalId: label.terminalId,
    transactionTimestampMs: Date.parse(label.transactionTimestamp),
    labeledAtMs: Date.parse(label.labeledAt),
    fraud: label.fraud,
  };
}

export function historySpans(labelDelayDays: number): HistorySpans {
  const delayMs = labelDelayDays * DAY_MS;
  return {
    cardMs: LONGEST_CARD_WINDOW_MS,
    terminalMs: delayMs + Math.max(...TERMINAL_WINDOW_DAYS) * DAY_MS,
    terminalLagMs: delayMs,
    graceMs: delayMs,
  };
}

/**
 * How far back any feature of a transaction at t looks: no transaction at or before t − lookbackMs,
 * nor any label of one, changes its vector (the card windows reach back 30 days, the terminal windows
 * and the fraud recency features the delay + 30 days, all with exclusive lower bounds). A replay that
 * needs vectors from time F on can therefore start at F − lookbackMs and give identical vectors.
 */
export function lookbackMs(labelDelayDays: number): number {
  const spans = historySpans(labelDelayDays);
  return Math.max(spans.cardMs, spans.terminalMs);
}

/**
 * The amount over the average of the card's earlier transactions in the window (whose sums include it).
 * Earlier ones of $0.00 only (account verifications) count as an average of one cent: the ratio stays
 * finite, and large, as a purchase after card testing deserves.
 */
const ratioToPrevious = (ownCents: number, count: number, sum: number): number =>
  count > 1 ? ownCents / Math.max((sum - ownCents) / (count - 1), 1) : 1;

/** Scratch space for the median of a card's earlier amounts (a card holds at most a few hundred in 30 days). */
let medianScratch = new Float64Array(256);

/**
 * The median of the card's amounts (in cents) at entries [from, to); 0 when there are none. The
 * amount of entry i is the step of the running total at i.
 */
function medianCents(card: TimeSeries, from: number, to: number): number {
  const count = to - from;
  if (count <= 0) return 0;
  if (medianScratch.length < count) medianScratch = new Float64Array(count * 2);
  const centsBefore = card.centsBefore;
  for (let index = from; index < to; index++) {
    const next = index + 1 < card.end ? centsBefore[index + 1]! : card.centsTotal;
    medianScratch[index - from] = next - centsBefore[index]!;
  }
  const middle = count >>> 1;
  const upper = selectKth(medianScratch, count, middle);
  if (count % 2 === 1) return upper;
  // After the selection, the entries before `middle` are the smaller half: the lower median is their largest.
  let lower = medianScratch[0]!;
  for (let index = 1; index < middle; index++) if (medianScratch[index]! > lower) lower = medianScratch[index]!;
  return (lower + upper) / 2;
}

/**
 * The k-th smallest of values[0, count) (Hoare's selection, median-of-three pivots), leaving the
 * smaller ones before index k: linear on average, where a sort would be n log n per transaction.
 */
function selectKth(values: Float64Array, count: number, k: number): number {
  let low = 0;
  let high = count - 1;
  while (low < high) {
    const mid = (low + high) >>> 1;
    // Median of three as the pivot, which also keeps sorted input linear.
    if (values[mid]! < values[low]!) swap(values, mid, low);
    if (values[high]! < values[low]!) swap(values, high, low);
    if (values[high]! < values[mid]!) swap(values, high, mid);
    const pivot = values[mid]!;
    let i = low;
    let j = high;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        swap(values, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) high = j;
    else if (k >= i) low = i;
    else return values[k]!;
  }
  return values[k]!;
}

function swap(values: Float64Array, a: number, b: number): void {
  const value = values[a]!;
  values[a] = values[b]!;
  values[b] = value;
}

function recorded(series: TimeSeries, timestampMs: number, transactionId: string): boolean {
  let low = series.start;
  let high = series.end;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const ts = series.timestampsMs[middle]!;
    if (ts < timestampMs || (ts === timestampMs && series.transactionIds[middle]! < transactionId)) low = middle + 1;
    else high = middle;
  }
  return low < series.end && series.timestampsMs[low] === timestampMs && series.transactionIds[low] === transactionId;
}

/** The first index in [from, to) whose timestamp is after `ms` (`to` if none): entries are sorted by time. */
function firstAfter(times: Float64Array, from: number, to: number, ms: number): number {
  let low = from;
  let high = to;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle]! > ms) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * `firstAfter` for an answer expected near `to` (windows end at or near the newest entries): probes
 * backwards from `to` in doubling steps, then searches the last step. It reads a few neighbouring
 * cache lines where a plain binary search would jump across the whole series.
 */
function firstAfterFromEnd(times: Float64Array, from: number, to: number, ms: number): number {
  let right = to;
  let step = 1;
  let probe = to - 1;
  while (probe >= from && times[probe]! > ms) {
    right = probe;
    probe = right - step;
    step *= 2;
  }
  return firstAfter(times, Math.max(probe + 1, from), right, ms);
}

/** The index of the last entry at or before (timestampMs, transactionId) in the series' order; start − 1 if none. */
function lastAtOrBefore(series: TimeSeries, timestampMs: number, transactionId: string): number {
  const times = series.timestampsMs;
  // Usually the transaction's own entry, at or near the end: walk back from there.
  let index = series.end - 1;
  while (index >= series.start) {
    const ts = times[index]!;
    if (ts < timestampMs || (ts === timestampMs && series.transactionIds[index]! <= transactionId)) return index;
    if (ts > timestampMs && index - series.start > 8) {
      // Far from the end (offline replay records a whole piece first): search instead.
      index = firstAfter(times, series.start, index, timestampMs) - 1;
      continue;
    }
    index--;
  }
  return index;
}

/**
 * Writes one transaction's features (in FEATURE_NAMES order) into `out` at `offset`. Pure: everything
 * comes from the record and its history, bounded by the transaction's own timestamp, so the same
 * transaction gives the same vector whenever it is (re)computed.
 */
export function computeFeatures(
  tx: TransactionRecord,
  card: TimeSeries,
  terminal: TimeSeries,
  labels: readonly LabelEntry[],
  delayMs: number,
  spans: HistorySpans,
  out: Float32Array,
  offset: number,
): void {
  const t = tx.timestampMs;
  const id = tx.transactionId;
  const ownCents = centsOf(tx.amount);
  const amount = ownCents / 100;
  const dayIndex = Math.floor(t / DAY_MS);
  const dayOfWeek = (dayIndex + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
  const hour = Math.floor((t - dayIndex * DAY_MS) / HOUR_MS);

  const w1 = t - CARD_WINDOW_DAYS[0] * DAY_MS;
  const w7 = t - CARD_WINDOW_DAYS[1] * DAY_MS;
  const w30 = t - CARD_WINDOW_DAYS[2] * DAY_MS;
  // The card's entries up to and including the transaction in (timestamp, transactionId) order, and
  // where each window starts; the sums come from the running totals. They are sums of integer cents,
  // so they are exact in any order.
  const cardTimes = card.timestampsMs;
  const centsBefore = card.centsBefore;
  const last = lastAtOrBefore(card, t, id);
  const from1 = firstAfterFromEnd(cardTimes, card.start, last + 1, w1);
  const from7 = firstAfterFromEnd(cardTimes, card.start, from1, w7);
  const from30 = firstAfterFromEnd(cardTimes, card.start, from7, w30);
  const through = last + 1 < card.end ? centsBefore[last + 1]! : card.centsTotal;
  const sum1 = through - centsBefore[from1]!;
  const sum7 = through - centsBefore[from7]!;
  const sum30 = through - centsBefore[from30]!;
  const count1 = last + 1 - from1;
  const count7 = last + 1 - from7;
  const count30 = last + 1 - from30;
  // The entry before the transaction's own (a same-time one with a smaller id counts, at distance 0).
  const previousMs = last - 1 >= from30 ? cardTimes[last - 1]! : -Infinity;

  const windowEnd = t - delayMs;
  const s1 = windowEnd - TERMINAL_WINDOW_DAYS[0] * DAY_MS;
  const s7 = windowEnd - TERMINAL_WINDOW_DAYS[1] * DAY_MS;
  const s30 = windowEnd - TERMINAL_WINDOW_DAYS[2] * DAY_MS;
  const terminalTimes = terminal.timestampsMs;
  const terminalEnd = firstAfterFromEnd(terminalTimes, terminal.start, terminal.end, windowEnd);
  const terminalFrom1 = firstAfterFromEnd(terminalTimes, terminal.start, terminalEnd, s1);
  const terminalFrom7 = firstAfterFromEnd(terminalTimes, terminal.start, terminalFrom1, s7);
  const terminalFrom30 = firstAfterFromEnd(terminalTimes, terminal.start, terminalFrom7, s30);
  const terminal1 = terminalEnd - terminalFrom1;
  const terminal7 = terminalEnd - terminalFrom7;
  const terminal30 = terminalEnd - terminalFrom30;

  let fraud1 = 0, fraud7 = 0, fraud30 = 0, knownFrauds = 0, fraudsToWindowEnd = 0;
  let firstFraudToWindowEndMs = Infinity;
  let firstFraudMs = Infinity, lastFraudMs = -Infinity;
  const oldestKnownMs = t - spans.terminalMs;
  for (let index = 0; index < labels.length; index++) {
    const event = labels[index]!;
    const next = labels[index + 1];
    // Events of one transaction are adjacent and ordered by labeledAt: the group's last event
    // received by t decides. Skip to it.
    if (event.labeledAtMs > t) continue;
    if (
      next !== undefined &&
      next.transactionId === event.transactionId &&
      next.transactionTimestampMs === event.transactionTimestampMs &&
      next.labeledAtMs <= t
    ) {
      continue;
    }
    if (!event.fraud) continue;
    const ts = event.transactionTimestampMs;
    if (ts > oldestKnownMs && ts <= windowEnd) {
      fraudsToWindowEnd++;
      if (ts < firstFraudToWindowEndMs) firstFraudToWindowEndMs = ts;
    }
    if (ts > oldestKnownMs && ts <= t) {
      knownFrauds++;
      if (ts < firstFraudMs) firstFraudMs = ts;
      if (ts > lastFraudMs) lastFraudMs = ts;
    }
    if (ts <= s30 || ts > windowEnd || !recorded(terminal, ts, event.transactionId)) continue;
    fraud30++;
    if (ts > s7) {
      fraud7++;
      if (ts > s1) fraud1++;
    }
  }
  const noFraudDays = spans.terminalMs / DAY_MS;

  out[offset] = amount;
  out[offset + 1] = dayOfWeek === 0 || dayOfWeek === 6 ? 1 : 0;
  out[offset + 2] = hour <= 6 ? 1 : 0;
  out[offset + 3] = count1;
  out[offset + 4] = count1 > 0 ? sum1 / count1 / 100 : 0;
  out[offset + 5] = count7;
  out[offset + 6] = count7 > 0 ? sum7 / count7 / 100 : 0;
  out[offset + 7] = count30;
  out[offset + 8] = count30 > 0 ? sum30 / count30 / 100 : 0;
  out[offset + 9] = terminal1;
  out[offset + 10] = terminal1 > 0 ? fraud1 / terminal1 : 0;
  out[offset + 11] = terminal7;
  out[offset + 12] = terminal7 > 0 ? fraud7 / terminal7 : 0;
  out[offset + 13] = terminal30;
  out[offset + 14] = terminal30 > 0 ? fraud30 / terminal30 : 0;
  out[offset + 15] = ratioToPrevious(ownCents, count7, sum7);
  out[offset + 16] = ratioToPrevious(ownCents, count30, sum30);
  out[offset + 17] = previousMs === -Infinity ? NO_PREVIOUS_HOURS : (t - previousMs) / HOUR_MS;
  out[offset + 18] = lastFraudMs === -Infinity ? noFraudDays : (t - lastFraudMs) / DAY_MS;
  out[offset + 19] = firstFraudMs === Infinity ? noFraudDays : (t - firstFraudMs) / DAY_MS;
  out[offset + 20] = knownFrauds;
  out[offset + 21] =
    lastFraudMs === -Infinity ? terminal30 : lastFraudMs >= windowEnd ? 0 : terminalEnd - firstAfterFromEnd(terminalTimes, terminal.start, terminalEnd, lastFraudMs);
  // Timestamps are whole milliseconds: the first entry after `first − 1` is the first at or after it.
  const sinceFirstFraud = firstFraudToWindowEndMs === Infinity ? 0 : terminalEnd - firstAfter(terminalTimes, terminal.start, terminalEnd, firstFraudToWindowEndMs - 1);
  out[offset + 22] = sinceFirstFraud > 0 ? Math.min(1, fraudsToWindowEnd / sinceFirstFraud) : 0;
  // The terminal's last entry before its first known fraud, if that is within its retained history.
  const beforeFirstFraud = firstFraudMs === Infinity ? -1 : firstAfter(terminalTimes, terminal.start, terminal.end, firstFraudMs - 1) - 1;
  const beforeFirstFraudMs = beforeFirstFraud >= terminal.start ? terminalTimes[beforeFirstFraud]! : -Infinity;
  out[offset + 23] = beforeFirstFraudMs > oldestKnownMs ? (t - beforeFirstFraudMs) / DAY_MS : noFraudDays;
  // The card's earlier entries in the 30-day window are [from30, last): the transaction's own is `last`.
  out[offset + 24] = count30 > 1 ? ownCents / Math.max(medianCents(card, from30, last), 1) : 1;
}

/** The one feature engine: offline replay and the online detector both go through it. */
export function createFeatureEngine(store: FeatureStore, options: FeatureEngineOptions = {}): FeatureEngine {
  const labelDelayDays = options.labelDelayDays ?? DEFAULT_LABEL_DELAY_DAYS;
  if (!Number.isFinite(labelDelayDays) || labelDelayDays < 0) {
    throw new RangeError(`Expected \`labelDelayDays\` to be a finite number >= 0, got ${labelDelayDays}`);
  }
  const delayMs = labelDelayDays * DAY_MS;
  const spans = historySpans(labelDelayDays);
  let closed: Promise<void> | undefined;

  async function transformRecords(records: readonly TransactionRecord[], options?: RecordOptions): Promise<Float32Array> {
    const out = new Float32Array(records.length * FEATURE_COUNT);
    if (records.length === 0) return out;
    const { cards, terminals, terminalLabels } = await store.record(records, spans, options);
    for (let index = 0; index < records.length; index++) {
      computeFeatures(records[index]!, cards[index]!, terminals[index]!, terminalLabels[index]!, delayMs, spans, out, index * FEATURE_COUNT);
    }
    return out;
  }

  async function recordRecords(records: readonly TransactionRecord[], options?: RecordOptions): Promise<void> {
    if (records.length > 0) await store.record(records, spans, options);
  }

  async function applyLabelRecords(records: readonly LabelRecord[]): Promise<void> {
    if (records.length > 0) await store.recordLabels(records, spans);
  }

  return {
    transform: (transactions, options) => transformRecords(transactions.map(transactionRecordOf), options),
    applyLabels: (labels) => applyLabelRecords(labels.map(labelRecordOf)),
    transformRecords,
    recordRecords,
    applyLabelRecords,
    forgetCards: () => store.forgetCards(),
    close() {
      closed ??= store.close();
      return closed;
    },
  };
}
