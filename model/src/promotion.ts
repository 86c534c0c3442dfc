import { DAY_MS } from '@fraudstream/shared/durations';
import type { Evaluation } from './evaluation.js';
import type { ModelMetadata } from './model.js';

/** How much worse than the serving model a candidate may be and still be promoted. */
export interface GateTolerance {
  averagePrecision: number;
  cardPrecisionAt100: number;
}

export const DEFAULT_TOLERANCE: GateTolerance = { averagePrecision: 0.005, cardPrecisionAt100: 0.01 };

/** One model's side of the comparison. */
export interface Side {
  metadata: ModelMetadata;
  evaluation: Evaluation;
  alerts: AlertsAtThreshold;
}

export interface AlertsAtThreshold {
  threshold: number;
  alerts: number;
  precision: number;
  recall: number;
}

/** The evaluation window and what the input holds: the label-delay protocol's inputs. */
export interface Window {
  fromMs: number;
  toMs: number;
  /** The last transaction in the input: labels of the days within the label delay before it may still come. */
  inputLastMs: number;
  labelDelayDays: number;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The first day whose labels may still be missing from the input: its frauds come up to a label delay later. */
export function matureUntilMs(inputLastMs: number, labelDelayDays: number): number {
  return Math.floor(inputLastMs / DAY_MS) * DAY_MS + DAY_MS - labelDelayDays * DAY_MS;
}

/**
 * Whether the window's labels are all in: a payment's fraud label comes up to the label delay after
 * it, so a window ending later than the delay before the input's last day would count frauds not yet
 * reported as legitimate, and favour whichever model misses them.
 */
export function windowProblems(window: Window): string[] {
  const matureUntil = matureUntilMs(window.inputLastMs, window.labelDelayDays);
  if (window.toMs <= matureUntil) return [];
  return [
    `the window ends ${day(window.toMs - DAY_MS)}, but labels arrive up to ${window.labelDelayDays} days late and the input ends ${day(window.inputLastMs)}: ` +
      `the frauds of the days from ${day(matureUntil)} on may not be known yet. End --to by ${day(matureUntil)}`,
  ];
}

/** The serving model's alerts on the window's payments at its threshold: the volume and quality analysts would see. */
export function alertsAtThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): AlertsAtThreshold {
  let alerts = 0;
  let caught = 0;
  let frauds = 0;
  for (let row = 0; row < scores.length; row++) {
    const fraud = labels[row] === 1;
    if (fraud) frauds++;
    if (scores[row]! >= threshold) {
      alerts++;
      if (fraud) caught++;
    }
  }
  return { threshold, alerts, precision: alerts === 0 ? Number.NaN : caught / alerts, recall: frauds === 0 ? Number.NaN : caught / frauds };
}

const trainingTo = (metadata: ModelMetadata): string | undefined => {
  const to = metadata.training['to'];
  return typeof to === 'string' ? to : undefined;
};

/** Days of [from, to) a model was trained on (its `training.to` is the day after its last training day). */
export function trainedOnWindow(metadata: ModelMetadata, window: Pick<Window, 'fromMs'>): boolean {
  const to = trainingTo(metadata);
  return to !== undefined && Date.parse(`${to}T00:00:00Z`) > window.fromMs;
}

const fixed = (value: number): string => (Number.isFinite(value) ? value.toFixed(3) : 'n/a');

/**
 * What stops the candidate from replacing the serving model, in words (empty: promote). A candidate
 * must have the serving model's features, have been trained on a sound input, not be evaluated on days
 * it was trained on, rank the window's frauds (some fraud, scores not constant), and be no worse than
 * the serving model in average precision and card precision@100 beyond the tolerance.
 */
export function promotionProblems(serving: Side, candidate: Side, window: Window, tolerance: GateTolerance = DEFAULT_TOLERANCE): string[] {
  const problems = [...windowProblems(window)];
  const servingFeatures = serving.metadata.featureNames.join(',');
  if (candidate.metadata.featureNames.join(',') !== servingFeatures) {
    problems.push(`its features differ from the serving model's (${candidate.metadata.featureNames.length} vs ${serving.metadata.featureNames.length}, or in another order)`);
  }
  const inputProblems = candidate.metadata.training['inputProblems'];
  if (Array.isArray(inputProblems) && inputProblems.length > 0) {
    problems.push(`it was trained with --allow-incomplete on an unsound input: ${inputProblems.map(String).join('; ')}`);
  }
  if (trainedOnWindow(candidate.metadata, window)) {
    problems.push(`it was trained on days up to ${trainingTo(candidate.metadata)}, inside the window from ${day(window.fromMs)}: its figures there are not a test. Evaluate on later days`);
  }
  const c = candidate.evaluation;
  const s = serving.evaluation;
  if (c.frauds === 0) problems.push('the window holds no fraud once known-compromised cards are left out: there is nothing to compare on. Give a longer window');
  else if (!Number.isFinite(c.aucRoc) || c.aucRoc <= 0.5) problems.push(`it does not rank frauds above legitimate payments (AUC ROC ${fixed(c.aucRoc)})`);
  if (c.frauds > 0 && c.averagePrecision < s.averagePrecision - tolerance.averagePrecision) {
    problems.push(`average precision ${fixed(c.averagePrecision)} is below the serving model's ${fixed(s.averagePrecision)} by more than ${tolerance.averagePrecision}`);
  }
  if (c.frauds > 0 && c.cardPrecisionAt100 < s.cardPrecisionAt100 - tolerance.cardPrecisionAt100) {
    problems.push(`card precision@100 ${fixed(c.cardPrecisionAt100)} is below the serving model's ${fixed(s.cardPrecisionAt100)} by more than ${tolerance.cardPrecisionAt100}`);
  }
  return problems;
}

/** The two models side by side, as printed before the decision. */
export function comparisonTable(serving: Side, candidate: Side): string {
  const width = 26;
  const line = (name: string, a: string, b: string, difference = ''): string => `${name.padEnd(22)}${a.padEnd(width)}${b.padEnd(width)}${difference}`.trimEnd();
  const signed = (value: number): string => (Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(3)}` : '');
  const metric = (name: string, key: 'aucRoc' | 'averagePrecision' | 'cardPrecisionAt100'): string =>
    line(name, fixed(serving.evaluation[key]), fixed(candidate.evaluation[key]), signed(candidate.evaluation[key] - serving.evaluation[key]));
  const trained = (side: Side): string => `${String(side.metadata.training['from'] ?? '?')} .. ${String(side.metadata.training['to'] ?? '?')}`;
  return [
    `serving   ${serving.metadata.version}`,
    `candidate ${candidate.metadata.version}`,
    '',
    line('', 'serving', 'candidate', 'difference'),
    line('trained on', trained(serving), trained(candidate)),
    metric('AUC ROC', 'aucRoc'),
    metric('average precision', 'averagePrecision'),
    metric('card precision@100', 'cardPrecisionAt100'),
    line('threshold', serving.alerts.threshold.toFixed(4), candidate.alerts.threshold.toFixed(4)),
    line('alerts at threshold', String(serving.alerts.alerts), String(candidate.alerts.alerts), signed(candidate.alerts.alerts - serving.alerts.alerts).replace('.000', '')),
    line('  their precision', fixed(serving.alerts.precision), fixed(candidate.alerts.precision)),
    line('  frauds they catch', fixed(serving.alerts.recall), fixed(candidate.alerts.recall)),
  ].join('\n');
}
