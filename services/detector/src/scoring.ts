import {
  alertIdFor,
  deadLetterFor,
  decidePayment,
  decodeTransaction,
  FEATURE_NAMES,
  reasonText,
  SCHEMA_VERSION,
  type Alert,
  type AlertDecision,
  type AlertReason,
  type ChallengerScore,
  type DeadLetter,
  type RuleBook,
  type RuleFailure,
  type RuleHit,
  type Transaction,
} from '@fraudstream/shared';
import type { FraudModel } from '@fraudstream/model';

/** The slice of the feature engine scoring needs (the real one, or a fake in unit tests). */
export interface Featurizer {
  transform(transactions: readonly Transaction[], options?: { recordedBeforeMs?: number }): Promise<Float32Array>;
}

export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export interface Scored {
  transaction: Transaction;
  offset: string;
  score: number;
  /** Whether it is alerted: `decision` is not null. */
  flagged: boolean;
  decision: AlertDecision | null;
  /** Active rules that matched (an allow hit among them suppressed the alert). */
  ruleHits: RuleHit[];
  /** Shadow rules that matched: counted, never decisive. */
  shadowHits: RuleHit[];
  ruleFailures: RuleFailure[];
  /** The decision an allow rule overrode, else null. */
  suppressed: AlertDecision | null;
  /** The shadow challenger's score, when one ran on this batch. */
  challenger?: ChallengerScore;
  /** The model's input row (a view into the batch's rows). */
  features: Float32Array;
}

export type DecodedMessage =
  | { message: RawMessage; transaction: Transaction; eventTimeMs: number }
  | { message: RawMessage; deadLetter: DeadLetter };

export interface DecodedBatch {
  valid: Array<{ transaction: Transaction; offset: string }>;
  deadLetters: DeadLetter[];
}

export interface ScoredBatch {
  scored: Scored[];
  alerts: Alert[];
  modelVersion: string;
  threshold: number;
  /** Time spent in the model (both predict calls), for the scoring-duration metric. */
  predictSeconds: number;
  /** The challenger's part: its version and time, or the error that kept it from scoring this batch. */
  challenger?: { modelVersion: string; seconds: number } | { modelVersion: string; error: Error };
}

export const REASON_COUNT = 3;

/** Decodes and validates every message, in order; each invalid one becomes a dead letter with its reason. */
export function decodeMessages(messages: readonly RawMessage[], now: Date = new Date()): DecodedMessage[] {
  return messages.map((message) => {
    const decoded = decodeTransaction(message.value);
    return decoded.ok
      ? { message, transaction: decoded.value, eventTimeMs: Date.parse(decoded.value.timestamp) }
      : { message, deadLetter: deadLetterFor(message, decoded.error, now) };
  });
}

export function splitDecoded(decoded: readonly DecodedMessage[]): DecodedBatch {
  const valid: DecodedBatch['valid'] = [];
  const deadLetters: DeadLetter[] = [];
  for (const entry of decoded) {
    if ('transaction' in entry) valid.push({ transaction: entry.transaction, offset: entry.message.offset });
    else deadLetters.push(entry.deadLetter);
  }
  return { valid, deadLetters };
}

/**
 * Event times for the event-time gate, one per message: an invalid message has none and may go
 * whenever the message before it may.
 */
export function eventTimesOf(decoded: readonly DecodedMessage[]): number[] {
  let previous = Number.NEGATIVE_INFINITY;
  return decoded.map((entry) => {
    if ('eventTimeMs' in entry) previous = Math.max(previous, entry.eventTimeMs);
    return previous;
  });
}

/**
 * Occlusion attribution for the flagged rows, in one batched predict: for each flagged row and each
 * feature, the row with that feature replaced by its training mean. A reason's contribution is the
 * score drop; the top `REASON_COUNT` by contribution are kept, of those above 0 only (a feature whose
 * typical value would not lower the score is no reason for the alert), each worded by the feature
 * catalogue.
 */
export async function explain(
  model: FraudModel,
  rows: Float32Array,
  flaggedRows: readonly number[],
  scores: Float32Array,
): Promise<AlertReason[][]> {
  const width = model.featureNames.length;
  if (flaggedRows.length === 0) return [];
  const occluded = new Float32Array(flaggedRows.length * width * width);
  flaggedRows.forEach((row, k) => {
    const original = rows.subarray(row * width, (row + 1) * width);
    for (let feature = 0; feature < width; feature += 1) {
      const start = (k * width + feature) * width;
      occluded.set(original, start);
      occluded[start + feature] = model.featureMeans[feature] ?? 0;
    }
  });
  const occludedScores = await model.predict(occluded, flaggedRows.length * width);
  return flaggedRows.map((row, k) => {
    const score = scores[row] ?? 0;
    const candidates: Array<Omit<AlertReason, 'text'>> = [];
    for (let feature = 0; feature < width; feature += 1) {
      const contribution = score - (occludedScores[k * width + feature] ?? 0);
      if (!(contribution > 0)) continue;
      candidates.push({
        feature: model.featureNames[feature] ?? `feature_${feature}`,
        value: rows[row * width + feature] ?? 0,
        typical: model.featureMeans[feature] ?? 0,
        contribution,
      });
    }
    return candidates
      .sort((a, b) => b.contribution - a.contribution)
      .slice(0, REASON_COUNT)
      .map((reason) => {
        const text = reasonText(reason.feature, reason.value, reason.typical);
        return text === undefined ? reason : { ...reason, text };
      });
  });
}

/**
 * Scores the valid transactions of one batch: one `transform` (which records them in the feature
 * store), one batched `predict`, the rules, and one more batched `predict` for the reasons of the
 * alerted ones.
 */
/**
 * A payment's decision from its score and the rules (shared/src/rules/decision.ts); without rules,
 * the model's threshold alone. The rules run synchronously over the whole batch, so one batch sees one
 * version of every rule.
 */
function decideAll(valid: DecodedBatch['valid'], rows: Float32Array, scores: Float32Array, threshold: number, rules: RuleBook | undefined): Scored[] {
  // The engine's rows are FEATURE_NAMES wide (the model refuses any other layout at load).
  const width = valid.length === 0 ? FEATURE_NAMES.length : rows.length / valid.length;
  return valid.map(({ transaction, offset }, index) => {
    const score = scores[index] ?? 0;
    const features = rows.subarray(index * width, (index + 1) * width);
    if (!rules) {
      const flagged = score >= threshold;
      return { transaction, offset, score, flagged, decision: flagged ? 'review' : null, ruleHits: [], shadowHits: [], ruleFailures: [], suppressed: null, features };
    }
    const { decision, suppressed, hits, shadowHits, failures } = decidePayment(rules, { transaction, features, score, threshold });
    return { transaction, offset, score, flagged: decision !== null, decision, ruleHits: hits, shadowHits, ruleFailures: failures, suppressed, features };
  });
}

/**
 * The challenger's scores of the same feature rows, attached to each payment. It never changes a
 * decision, and its failure never fails the batch: the champion's output goes out without it.
 */
async function challenge(challenger: FraudModel, rows: Float32Array, scored: Scored[]): Promise<NonNullable<ScoredBatch['challenger']>> {
  const started = performance.now();
  try {
    const scores = await challenger.predict(rows, scored.length);
    scored.forEach((entry, index) => {
      const score = scores[index] ?? 0;
      entry.challenger = { modelVersion: challenger.version, score, threshold: challenger.threshold, flagged: score >= challenger.threshold };
    });
    return { modelVersion: challenger.version, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    return { modelVersion: challenger.version, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

export async function scoreTransactions(
  valid: DecodedBatch['valid'],
  engine: Featurizer,
  model: FraudModel,
  options: { now?: Date; recordedBeforeMs?: number; rules?: RuleBook; challenger?: FraudModel } = {},
): Promise<ScoredBatch> {
  const empty = { scored: [], alerts: [], modelVersion: model.version, threshold: model.threshold, predictSeconds: 0 };
  if (valid.length === 0) return empty;
  const rows = await engine.transform(
    valid.map(({ transaction }) => transaction),
    options.recordedBeforeMs === undefined ? {} : { recordedBeforeMs: options.recordedBeforeMs },
  );
  const started = performance.now();
  const scores = await model.predict(rows, valid.length);
  const scored = decideAll(valid, rows, scores, model.threshold, options.rules);
  const flaggedRows = scored.flatMap((entry, index) => (entry.flagged ? [index] : []));
  const reasons = await explain(model, rows, flaggedRows, scores);
  const predictSeconds = (performance.now() - started) / 1000;
  const challenger = options.challenger === undefined ? undefined : await challenge(options.challenger, rows, scored);
  const detectedAt = (options.now ?? new Date()).toISOString();
  const alerts: Alert[] = flaggedRows.map((row, k) => {
    const { transaction, score, decision, ruleHits, challenger: challengerScore } = scored[row] as Scored;
    return {
      schemaVersion: SCHEMA_VERSION,
      alertId: alertIdFor(transaction),
      transaction,
      score,
      threshold: model.threshold,
      modelVersion: model.version,
      reasons: reasons[k] ?? [],
      decision: decision ?? 'review',
      ruleHits,
      ...(challengerScore ? { challenger: challengerScore } : {}),
      detectedAt,
    };
  });
  return { scored, alerts, modelVersion: model.version, threshold: model.threshold, predictSeconds, ...(challenger ? { challenger } : {}) };
}
