/**
 * Ranking metrics as the Handbook computes them (scikit-learn's roc_auc_score and
 * average_precision_score, and its card precision@k), on plain arrays.
 */

type Scores = ArrayLike<number>;
type Labels = ArrayLike<number>;

/** Indices sorted by descending score. */
function byScoreDescending(scores: Scores): Uint32Array {
  const order = Uint32Array.from({ length: scores.length }, (_, index) => index);
  return order.sort((a, b) => scores[b]! - scores[a]!);
}

function countPositives(labels: Labels): number {
  let positives = 0;
  for (let index = 0; index < labels.length; index++) positives += labels[index] ? 1 : 0;
  return positives;
}

/** Area under the ROC curve; tied scores count one half (the Mann–Whitney statistic). NaN without both classes. */
export function aucRoc(scores: Scores, labels: Labels): number {
  const positives = countPositives(labels);
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  const order = byScoreDescending(scores);
  let negativesAbove = 0;
  let sum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    let tiedPositives = 0;
    let tiedNegatives = 0;
    while (end < order.length && scores[order[end]!] === scores[order[start]!]) {
      if (labels[order[end]!]) tiedPositives++;
      else tiedNegatives++;
      end++;
    }
    // every positive ranks above the negatives below it, and half above its tied negatives
    sum += tiedPositives * (negatives - negativesAbove - tiedNegatives) + (tiedPositives * tiedNegatives) / 2;
    negativesAbove += tiedNegatives;
    start = end;
  }
  return sum / (positives * negatives);
}

export interface CurvePoint {
  threshold: number;
  truePositives: number;
  falsePositives: number;
}

/** Confusion counts at each distinct score, from the highest threshold down. */
export function thresholdCurve(scores: Scores, labels: Labels): CurvePoint[] {
  const order = byScoreDescending(scores);
  const points: CurvePoint[] = [];
  let truePositives = 0;
  let falsePositives = 0;
  for (let index = 0; index < order.length; index++) {
    const row = order[index]!;
    if (labels[row]) truePositives++;
    else falsePositives++;
    const next = order[index + 1];
    if (next === undefined || scores[next] !== scores[row]) {
      points.push({ threshold: scores[row]!, truePositives, falsePositives });
    }
  }
  return points;
}

/** Σ (Rₙ − Rₙ₋₁) Pₙ over the distinct thresholds: the step-wise area under the precision–recall curve. */
export function averagePrecision(scores: Scores, labels: Labels): number {
  const positives = countPositives(labels);
  if (positives === 0) return Number.NaN;
  let previousRecall = 0;
  let sum = 0;
  for (const point of thresholdCurve(scores, labels)) {
    const recall = point.truePositives / positives;
    sum += (recall - previousRecall) * (point.truePositives / (point.truePositives + point.falsePositives));
    previousRecall = recall;
  }
  return sum;
}

export interface CardDayRow {
  day: number;
  card: string;
  score: number;
  fraud: boolean;
}

/**
 * The Handbook's card precision@k: each day, cards ranked by their highest score that day; the share
 * of compromised cards (any fraud that day) among the top k. A card found in an earlier day's top k
 * is left out of later days. Averaged over the days.
 */
export function cardPrecisionAtK(rows: readonly CardDayRow[], k = 100): { mean: number; perDay: { day: number; precision: number }[] } {
  const days = new Map<number, Map<string, { score: number; fraud: boolean }>>();
  for (const row of rows) {
    let cards = days.get(row.day);
    if (cards === undefined) days.set(row.day, (cards = new Map()));
    const card = cards.get(row.card);
    if (card === undefined) cards.set(row.card, { score: row.score, fraud: row.fraud });
    else {
      card.score = Math.max(card.score, row.score);
      card.fraud ||= row.fraud;
    }
  }
  const detected = new Set<string>();
  const perDay: { day: number; precision: number }[] = [];
  for (const day of [...days.keys()].sort((a, b) => a - b)) {
    const ranked = [...days.get(day)!.entries()]
      .filter(([card]) => !detected.has(card))
      .sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, k);
    const found = ranked.filter(([, card]) => card.fraud).map(([card]) => card);
    for (const card of found) detected.add(card);
    perDay.push({ day, precision: found.length / k });
  }
  const mean = perDay.length === 0 ? Number.NaN : perDay.reduce((sum, day) => sum + day.precision, 0) / perDay.length;
  return { mean, perDay };
}
