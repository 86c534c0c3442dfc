import { DAY_MS } from '@fraudstream/shared/durations';
import { aucRoc, averagePrecision, cardPrecisionAtK } from './metrics.js';
import { dayIndexOf, type Dataset } from './replay.js';

export interface Evaluation {
  rows: number;
  frauds: number;
  /** Rows left out because their card's fraud was already known that day. */
  knownCompromisedRows: number;
  aucRoc: number;
  averagePrecision: number;
  cardPrecisionAt100: number;
  cardPrecisionPerDay: { day: string; precision: number }[];
}

export interface ProtocolOptions {
  /** First test day (UTC midnight). */
  testFromMs: number;
  labelDelayDays?: number;
  trainDays?: number;
  /** Leave out rows of cards whose fraud was known on their day (the Handbook's test set). */
  removeKnownCompromised?: boolean;
}

/**
 * The rows the Handbook's test protocol keeps. On test day D, a card is "known compromised" when it had
 * a fraud from the start of the training period (testFrom − delay − train days) up to day D − delay − 1:
 * those labels have arrived before D. Its rows that day are left out.
 */
export function protocolRows(dataset: Dataset, options: ProtocolOptions): { rows: Uint32Array; knownCompromisedRows: number } {
  const delayDays = options.labelDelayDays ?? 7;
  const trainDays = options.trainDays ?? 7;
  const testFromDay = dayIndexOf(options.testFromMs);
  const knownByDay = new Map<number, Set<string>>();
  const knownOn = (day: number): Set<string> => {
    let known = knownByDay.get(day);
    if (known === undefined) {
      known = new Set();
      for (let fraudDay = testFromDay - delayDays - trainDays; fraudDay <= day - delayDays - 1; fraudDay++) {
        for (const card of dataset.fraudCardsByDay.get(fraudDay) ?? []) known.add(card);
      }
      knownByDay.set(day, known);
    }
    return known;
  };
  const kept: number[] = [];
  let knownCompromisedRows = 0;
  for (let row = 0; row < dataset.n; row++) {
    if (options.removeKnownCompromised !== false && knownOn(dayIndexOf(dataset.timestampMs[row]!)).has(dataset.cardIds[row]!)) knownCompromisedRows++;
    else kept.push(row);
  }
  return { rows: Uint32Array.from(kept), knownCompromisedRows };
}

/**
 * The Handbook's test protocol: the rows `protocolRows` keeps, then AUC ROC, average precision and card
 * precision@100 over them (with cards found on an earlier test day left out of later days).
 */
export function evaluateScores(dataset: Dataset, scores: Float32Array, options: ProtocolOptions): Evaluation {
  const { rows, knownCompromisedRows } = protocolRows(dataset, options);
  const keptScores = Float64Array.from(rows, (row) => scores[row]!);
  const keptLabels = Uint8Array.from(rows, (row) => dataset.fraud[row]!);
  const cardPrecision = cardPrecisionAtK(
    Array.from(rows, (row) => ({ day: dayIndexOf(dataset.timestampMs[row]!), card: dataset.cardIds[row]!, score: scores[row]!, fraud: dataset.fraud[row] === 1 })),
    100,
  );
  return {
    rows: rows.length,
    frauds: keptLabels.reduce((sum, label) => sum + label, 0),
    knownCompromisedRows,
    aucRoc: aucRoc(keptScores, keptLabels),
    averagePrecision: averagePrecision(keptScores, keptLabels),
    cardPrecisionAt100: cardPrecision.mean,
    cardPrecisionPerDay: cardPrecision.perDay.map(({ day, precision }) => ({
      day: new Date(day * DAY_MS).toISOString().slice(0, 10),
      precision,
    })),
  };
}
