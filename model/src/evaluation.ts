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
 * The Handbook's test protocol. On test day D, a card is "known compromised" when it had a fraud from
 * the start of the training period (testFrom − delay − train days) up to day D − delay − 1: those
 * labels have arrived before D. Its rows that day are left out. Then AUC ROC, average precision and
 * card precision@100 over what is left (with cards found on an earlier test day left out of later days).
 */
export function evaluateScores(dataset: Dataset, scores: Float32Array, options: ProtocolOptions): Evaluation {
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

  const keptScores: number[] = [];
  const keptLabels: number[] = [];
  const cardRows: { day: number; card: string; score: number; fraud: boolean }[] = [];
  let knownCompromisedRows = 0;
  for (let row = 0; row < dataset.n; row++) {
    const day = dayIndexOf(dataset.timestampMs[row]!);
    const card = dataset.cardIds[row]!;
    if (options.removeKnownCompromised !== false && knownOn(day).has(card)) {
      knownCompromisedRows++;
      continue;
    }
    const score = scores[row]!;
    const fraud = dataset.fraud[row]!;
    keptScores.push(score);
    keptLabels.push(fraud);
    cardRows.push({ day, card, score, fraud: fraud === 1 });
  }
  const cardPrecision = cardPrecisionAtK(cardRows, 100);
  return {
    rows: keptScores.length,
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
