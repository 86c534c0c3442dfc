import { deadLetterKey, encode, SCHEMA_VERSION, type RuleHitCounts, type ScoredTransaction } from '@fraudstream/shared';
import type { TopicMessages } from './commit.js';
import type { DecodedMessage, Scored, ScoredBatch } from './scoring.js';

/** Where a batch's output goes. */
export interface OutputTopics {
  alerts: string;
  deadLetters: string;
  /** Every score goes here too when set (`fraud.scores` unless SCORES_TOPIC is empty). */
  scored?: string;
  /** Each batch's rule hit counts, when set and rules ran. */
  ruleHits?: string;
}

/** 6 significant digits: enough for monitoring, a third of the bytes of a float32's shortest form. */
const rounded = (value: number): number => Number(value.toPrecision(6));

/** A score as the scores topic carries it. */
export function scoredEvent({ transaction, score, flagged, decision, ruleHits, shadowHits, challenger, features }: Scored, batch: Pick<ScoredBatch, 'threshold' | 'modelVersion'>): ScoredTransaction {
  const { transactionId, cardId, timestamp, terminalId, amount, currency, channel, merchantCategory, maskedPan } = transaction;
  return {
    schemaVersion: SCHEMA_VERSION,
    transactionId,
    cardId,
    timestamp,
    terminalId,
    amount,
    currency,
    ...(channel === undefined ? {} : { channel }),
    ...(merchantCategory === undefined ? {} : { merchantCategory }),
    ...(maskedPan === undefined ? {} : { maskedPan }),
    score,
    threshold: batch.threshold,
    flagged,
    modelVersion: batch.modelVersion,
    decision,
    ruleHits,
    shadowHits,
    ...(challenger ? { challenger } : {}),
    features: Array.from(features, rounded),
  };
}

/**
 * The messages one scored chunk of a batch writes, by topic, in partition order within each: its
 * alerts (keyed by card), the dead letters of its invalid messages (with the reason's code as a
 * header), when there is a scored topic every score, and the batch's rule hit counts when rules ran. Topics with nothing to write are left out.
 */
export function batchOutput(topics: OutputTopics, chunk: readonly DecodedMessage[], result: ScoredBatch, ruleHits?: RuleHitCounts | null): TopicMessages {
  const output: TopicMessages = [];
  if (result.alerts.length > 0) {
    output.push({
      topic: topics.alerts,
      messages: result.alerts.map((alert) => ({ key: alert.transaction.cardId, value: encode(alert) })),
    });
  }
  const deadLetters = chunk.flatMap((entry) =>
    'deadLetter' in entry
      ? [{ key: deadLetterKey(entry.message.key), value: encode(entry.deadLetter), headers: { 'fraudstream-error': entry.deadLetter.error.code } }]
      : [],
  );
  if (deadLetters.length > 0) output.push({ topic: topics.deadLetters, messages: deadLetters });
  if (topics.scored && result.scored.length > 0) {
    output.push({
      topic: topics.scored,
      messages: result.scored.map((entry) => ({ key: entry.transaction.cardId, value: Buffer.from(JSON.stringify(scoredEvent(entry, result))) })),
    });
  }
  if (topics.ruleHits && ruleHits) output.push({ topic: topics.ruleHits, messages: [{ key: null, value: Buffer.from(JSON.stringify(ruleHits)) }] });
  return output;
}
