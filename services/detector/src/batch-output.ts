import { deadLetterKey, encode, SCHEMA_VERSION, type RuleHitCounts } from '@fraudstream/shared';
import type { TopicMessages } from './commit.js';
import type { ScoredTransaction } from './scored.js';
import type { DecodedMessage, Scored, ScoredBatch } from './scoring.js';

/** Where a batch's output goes. */
export interface OutputTopics {
  alerts: string;
  deadLetters: string;
  /** Every score goes here too when set. */
  scored?: string;
  /** Each batch's rule hit counts, when set and rules ran. */
  ruleHits?: string;
}

/** A score as the scored topic carries it. */
export function scoredEvent({ transaction, score, flagged, decision, ruleHits, shadowHits, challenger }: Scored, batch: Pick<ScoredBatch, 'threshold' | 'modelVersion'>): ScoredTransaction {
  return {
    schemaVersion: SCHEMA_VERSION,
    transactionId: transaction.transactionId,
    cardId: transaction.cardId,
    timestamp: transaction.timestamp,
    score,
    threshold: batch.threshold,
    flagged,
    modelVersion: batch.modelVersion,
    decision,
    ruleHits,
    shadowHits,
    ...(challenger ? { challenger } : {}),
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
