import { z } from 'zod';
import { AlertDecision, ChallengerScore, decodeWith, RuleHit, SCHEMA_VERSION, type Decoded } from '@fraudstream/shared';

/** One score on the optional scored topic (`SCORED_TOPIC`): for monitoring and parity checks. */
export const ScoredTransaction = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  transactionId: z.string().min(1),
  cardId: z.string().min(1),
  timestamp: z.string().min(1),
  score: z.number().min(0).max(1),
  threshold: z.number().min(0).max(1),
  flagged: z.boolean(),
  modelVersion: z.string().min(1),
  /** The alert's decision, null when not alerted (absent in scores written before rules). */
  decision: AlertDecision.nullable().optional(),
  /** Active rules that matched (an allow hit suppresses the alert). */
  ruleHits: z.array(RuleHit).optional(),
  /** Shadow rules that matched: here and in the metrics only. */
  shadowHits: z.array(RuleHit).optional(),
  /** The shadow challenger's score of the same payment (CHALLENGER_MODEL_DIR), beside the champion's. */
  challenger: ChallengerScore.optional(),
});
export type ScoredTransaction = z.infer<typeof ScoredTransaction>;

export const decodeScoredTransaction = (bytes: Buffer | string | null | undefined): Decoded<ScoredTransaction> =>
  decodeWith(ScoredTransaction, bytes);
