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

// One definition for offline evaluation and live model health (services/alerts/src/monitoring).
export { cardPrecisionAtK, type CardDayRow } from '@fraudstream/shared';
