import { z } from 'zod';
import { DriftStatus } from '@fraudstream/shared';

const share = z.number().min(0).max(1);

export const DayQuality = z.object({
  day: z.string().describe('UTC day of the payments\' event time, YYYY-MM-DD'),
  modelVersion: z.string(),
  payments: z.number().int(),
  alerts: z.number().int().describe('Payments this model flagged (its score at or above its threshold, or a rule\'s decision for the champion)'),
  frauds: z.number().int().describe('Payments labelled fraud so far (chargebacks and analysts\' verdicts)'),
  truePositives: z.number().int(),
  precision: share.nullable().describe('truePositives / alerts; null without alerts'),
  recall: share.nullable().describe('truePositives / frauds; null without frauds'),
  cardPrecisionAt100: share
    .nullable()
    .describe('The Handbook\'s card precision@100: the share of compromised cards among the day\'s 100 highest-scored cards, cards found on an earlier day left out'),
  mature: z.boolean().describe('The label delay has passed since the day ended: its figures are final. Provisional (false) figures only grow in frauds'),
});
export type DayQuality = z.infer<typeof DayQuality>;

export const RuleDayQuality = z.object({
  day: z.string(),
  ruleId: z.string(),
  hits: z.number().int(),
  truePositives: z.number().int(),
  precision: share.nullable(),
  mature: z.boolean(),
});

export const FeatureDrift = z.object({
  name: z.string(),
  psi: z.number().min(0).nullable().describe('Population stability index of the recent window against the model\'s training distribution; null when unknown'),
  status: DriftStatus,
});
export type FeatureDrift = z.infer<typeof FeatureDrift>;

export const ModelHealth = z.object({
  generatedAt: z.string(),
  watermark: z.string().nullable().describe('The newest stored payment\'s event time'),
  labelDelayDays: z.number(),
  days: z.array(DayQuality).describe('The champion (the model that decided), oldest day first, one entry per day and model version'),
  challenger: z.array(DayQuality).nullable().describe('The shadow challenger on the same payments; null when none ran in the period'),
  rules: z.array(RuleDayQuality).describe('Each active rule\'s matches per day'),
  features: z.array(FeatureDrift),
  score: z.object({
    psi: z.number().min(0).nullable(),
    status: DriftStatus,
    histogram: z.object({ edges: z.array(z.number()), recent: z.array(share), reference: z.array(share) }),
  }),
  drift: z.object({
    from: z.string().nullable(),
    to: z.string().nullable(),
    payments: z.number().int(),
    reference: z.string().describe('What the features are compared with'),
    thresholds: z.object({ warn: z.number(), alert: z.number() }),
  }),
  problems: z.array(z.string()).describe('Why figures are missing or may be stale; empty when all is well'),
});
export type ModelHealth = z.infer<typeof ModelHealth>;

export const ModelHealthQuery = z.object({
  token: z.string().max(256).optional().describe('Read token, for clients that cannot send an Authorization header'),
  days: z.coerce.number().int().min(1).max(400).default(30).describe('The last N days of the payments\' event time'),
});
