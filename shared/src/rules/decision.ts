import type { Transaction } from '../events.js';
import { RuleFeatures, RuleTransaction } from './expression.js';
import type { RuleBook, RuleOutcome } from './rule-book.js';
import type { RuleHit } from './schema.js';

export type Decision = 'block' | 'review';

export interface DecisionInput {
  /** Active rules that matched. */
  hits: readonly RuleHit[];
  score: number;
  threshold: number;
}

export interface DecisionOutcome {
  /** What happens to the payment: an alert with this decision, or none (null). */
  decision: Decision | null;
  /** The decision an `allow` hit overrode (counted as a suppressed alert), else null. */
  suppressed: Decision | null;
}

/**
 * A payment's decision: an `allow` hit suppresses any alert; else a `block` hit blocks; else a `review`
 * hit or a score at or above the threshold asks for review; else nothing.
 */
export function decide({ hits, score, threshold }: DecisionInput): DecisionOutcome {
  const flagged: Decision | null = hits.some((hit) => hit.action === 'block')
    ? 'block'
    : hits.some((hit) => hit.action === 'review') || score >= threshold
      ? 'review'
      : null;
  if (hits.some((hit) => hit.action === 'allow')) return { decision: null, suppressed: flagged };
  return { decision: flagged, suppressed: null };
}

/** What the rules and the model said about one payment, and the resulting decision. */
export interface PaymentDecision extends DecisionOutcome, RuleOutcome {}

/**
 * The rules evaluated on one payment and the decision from them and the score: one function for the
 * detector, `score --rules` and the backtest, so offline and online decide alike.
 */
export function decidePayment(
  rules: RuleBook,
  payment: { transaction: Transaction; features: Float32Array; score: number; threshold: number },
): PaymentDecision {
  const outcome = rules.evaluate({ tx: new RuleTransaction(payment.transaction), features: new RuleFeatures(payment.features), score: payment.score });
  return { ...outcome, ...decide({ hits: outcome.hits, score: payment.score, threshold: payment.threshold }) };
}
