// Modules of `shared`, not its index: the offline CLIs start without loading Kafka's and Redis's clients.
import type { HandbookRow } from '@fraudstream/shared/csv';
import { createFeatureEngine, lookbackMs } from '@fraudstream/shared/features/engine';
import { createMemoryFeatureStore } from '@fraudstream/shared/features/memory-store';
import { DAY_MS } from '@fraudstream/shared/durations';
import { DEFAULT_LABEL_DELAY_DAYS, FEATURE_NAMES } from '@fraudstream/shared/features/names';
import type { LabelRecord } from '@fraudstream/shared/features/store';
import { csvTransactionIdOf } from '@fraudstream/shared/ids';

/** One chunk of the CSV's rows, as `readHandbookCsv` yields them; `rows/chunkBytes` measure progress. */
export const CSV_CHUNK_BYTES = 1 << 20;

/**
 * Rows per call to the engine. Small pieces keep a transaction's card and terminal history in the CPU
 * cache between recording it and computing its features (5,000 cards and 10,000 terminals do not fit):
 * about 20 % less time than whole 1 MiB chunks (`npm run bench -- score`). The rows are in time order,
 * so the piece size changes no feature.
 */
const PIECE_ROWS = 256;

export interface ReplayBatch {
  rows: readonly HandbookRow[];
  /** rows.length × FEATURE_NAMES.length, row-major. */
  features: Float32Array;
}

export interface ReplayOptions {
  /** Rows at or after this time are skipped. */
  untilMs?: number;
  /**
   * Only rows at or after this time need their vectors: earlier rows are recorded as history without
   * computing theirs, rows older than the engine's look-back (`lookbackMs`) before it are not replayed
   * at all, and only the rows from here on are yielded. Their vectors are the same as in a replay of
   * every row.
   */
  featuresFromMs?: number;
  labelDelayDays?: number;
}

/**
 * Replays a CSV's transactions, in file (event-time) order, through the same feature engine the
 * detector runs, with an in-memory store. Every fraud row's chargeback label is given to the engine
 * with labeledAt = transaction time + delay, as the producer sends it online; the engine only counts a
 * label from its labeledAt on, so handing it over right after its rows leaks nothing. A chunk of the
 * CSV is transformed in pieces of at most PIECE_ROWS rows spanning less than the delay, with each piece's
 * labels applied before the next: a label must count for the later rows of the same chunk. A piece
 * never straddles `featuresFromMs`: it is either history only or computed.
 */
export async function* replayFeatures(
  source: AsyncIterable<readonly HandbookRow[]>,
  options: ReplayOptions = {},
): AsyncGenerator<ReplayBatch> {
  const labelDelayDays = options.labelDelayDays ?? DEFAULT_LABEL_DELAY_DAYS;
  const delayMs = labelDelayDays * DAY_MS;
  const untilMs = options.untilMs ?? Infinity;
  const featuresFromMs = options.featuresFromMs ?? -Infinity;
  const replayFromMs = featuresFromMs - lookbackMs(labelDelayDays);
  const engine = createFeatureEngine(createMemoryFeatureStore(), { labelDelayDays });
  const inReplay = (row: HandbookRow): boolean => row.timestampMs >= replayFromMs && row.timestampMs < untilMs;
  try {
    for await (const batch of source) {
      const kept = batch.every(inReplay) ? batch : batch.filter(inReplay);
      for (let start = 0; start < kept.length; ) {
        let end = start + 1;
        const historyOnly = kept[start]!.timestampMs < featuresFromMs;
        const pieceEndMs = historyOnly ? Math.min(featuresFromMs, kept[start]!.timestampMs + delayMs) : kept[start]!.timestampMs + delayMs;
        const pieceMax = start + PIECE_ROWS;
        while (end < kept.length && end < pieceMax && kept[end]!.timestampMs < pieceEndMs) end++;
        const rows = start === 0 && end === kept.length ? kept : kept.slice(start, end);
        start = end;
        // A row already has the TransactionRecord shape (the fields the detector takes from an event).
        let features: Float32Array | undefined;
        if (historyOnly) await engine.recordRecords(rows);
        else features = await engine.transformRecords(rows);
        const labels: LabelRecord[] = [];
        for (const row of rows) {
          if (row.fraud) {
            labels.push({
              transactionId: row.transactionId,
              terminalId: row.terminalId,
              transactionTimestampMs: row.timestampMs,
              labeledAtMs: row.timestampMs + delayMs,
              fraud: true,
            });
          }
        }
        await engine.applyLabelRecords(labels);
        if (features !== undefined) yield { rows, features };
      }
    }
  } finally {
    await engine.close();
  }
}

/** The rows of one period with their features, plus which cards had fraud on which day (for the evaluation protocol). */
export interface Dataset {
  n: number;
  features: Float32Array;
  fraud: Uint8Array;
  timestampMs: Float64Array;
  cardIds: string[];
  csvTransactionIds: string[];
  /** UTC day index → cards with at least one fraud that day, over every replayed row. */
  fraudCardsByDay: Map<number, Set<string>>;
  /** The earliest and latest transaction of the input (every row read, kept or not); NaN when empty. */
  inputFirstMs: number;
  inputLastMs: number;
}

export const dayIndexOf = (timestampMs: number): number => Math.floor(timestampMs / DAY_MS);

/** Replays rows before `untilMs` and keeps the rows in [fromMs, untilMs) with their features. */
export async function collectDataset(
  source: AsyncIterable<readonly HandbookRow[]>,
  options: { fromMs: number; untilMs: number; labelDelayDays?: number },
): Promise<Dataset> {
  const width = FEATURE_NAMES.length;
  const kept: ReplayBatch[] = [];
  const fraudCardsByDay = new Map<number, Set<string>>();
  // The evaluation protocol asks which cards had fraud on days before the kept period, so every row
  // read is looked at here, also those the replay does not need.
  let inputFirstMs = Number.POSITIVE_INFINITY;
  let inputLastMs = Number.NEGATIVE_INFINITY;
  async function* noteFrauds(): AsyncGenerator<readonly HandbookRow[]> {
    for await (const batch of source) {
      for (const row of batch) {
        if (row.timestampMs < inputFirstMs) inputFirstMs = row.timestampMs;
        if (row.timestampMs > inputLastMs) inputLastMs = row.timestampMs;
        if (!row.fraud || row.timestampMs >= options.untilMs) continue;
        const day = dayIndexOf(row.timestampMs);
        let cards = fraudCardsByDay.get(day);
        if (cards === undefined) fraudCardsByDay.set(day, (cards = new Set()));
        cards.add(row.cardId);
      }
      yield batch;
    }
  }
  let n = 0;
  for await (const batch of replayFeatures(noteFrauds(), { ...options, featuresFromMs: options.fromMs })) {
    kept.push(batch);
    n += batch.rows.length;
  }
  const dataset: Dataset = {
    n,
    features: new Float32Array(n * width),
    fraud: new Uint8Array(n),
    timestampMs: new Float64Array(n),
    cardIds: new Array<string>(n),
    csvTransactionIds: new Array<string>(n),
    fraudCardsByDay,
    inputFirstMs: Number.isFinite(inputFirstMs) ? inputFirstMs : Number.NaN,
    inputLastMs: Number.isFinite(inputLastMs) ? inputLastMs : Number.NaN,
  };
  let offset = 0;
  for (const batch of kept) {
    dataset.features.set(batch.features, offset * width);
    batch.rows.forEach((row, index) => {
      dataset.fraud[offset + index] = row.fraud ? 1 : 0;
      dataset.timestampMs[offset + index] = row.timestampMs;
      dataset.cardIds[offset + index] = row.cardId;
      dataset.csvTransactionIds[offset + index] = csvTransactionIdOf(row.transactionId);
    });
    offset += batch.rows.length;
  }
  return dataset;
}

/**
 * The rows of `dataset` in [fromMs, untilMs), sharing its arrays (rows are in time order): one replay
 * serves several periods. `fraudCardsByDay` and the input's bounds are the whole replay's, as a replay
 * up to `untilMs` would have them for every day the evaluation protocol looks at.
 */
export function sliceDataset(dataset: Dataset, fromMs: number, untilMs: number): Dataset {
  const firstAtOrAfter = (ms: number): number => {
    let low = 0;
    let high = dataset.n;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (dataset.timestampMs[middle]! < ms) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  const start = firstAtOrAfter(fromMs);
  const end = firstAtOrAfter(untilMs);
  const width = FEATURE_NAMES.length;
  return {
    ...dataset,
    n: end - start,
    features: dataset.features.subarray(start * width, end * width),
    fraud: dataset.fraud.subarray(start, end),
    timestampMs: dataset.timestampMs.subarray(start, end),
    cardIds: dataset.cardIds.slice(start, end),
    csvTransactionIds: dataset.csvTransactionIds.slice(start, end),
  };
}
