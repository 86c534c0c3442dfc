import { z } from 'zod';
import { CardId, RuleAction, RuleHit, SCHEMA_VERSION, isoUtc } from '../events.js';

export { RuleAction, RuleHit };

/** A rule's or a list's id: a slug, safe as a Kafka key, a URL segment and a metric label. */
const slug = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$/, 'expected a slug: lower-case letters, digits, - and _ (such as card-testing)');

export const RuleId = slug;
export const ListName = slug;

/** `shadow` rules are evaluated and counted but never change a decision; `disabled` ones are not evaluated. */
export const RuleMode = z.enum(['active', 'shadow', 'disabled']);

/** What a person writes: the body of `PUT /rules/{id}`. */
export const RuleDefinition = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  description: z.string().max(2_000, 'must be at most 2000 characters').optional(),
  expression: z.string().min(1, 'must not be empty').max(4_000, 'must be at most 4000 characters').describe('A CEL expression of type bool over tx, features, score and lists'),
  action: RuleAction,
  mode: RuleMode,
});

/** A rule as it travels on `fraud.rules` (key = id; a tombstone deletes it). */
export const Rule = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  id: RuleId,
  /** Incremented on every change, so an alert can say which text of a rule fired. */
  version: z.number().int().min(1),
  ...RuleDefinition.shape,
  updatedAt: isoUtc,
  updatedBy: z.string().min(1).max(200),
});

/**
 * A named list on `fraud.lists` (key = name; a tombstone deletes it): card tokens, terminal ids, BINs.
 * Items follow the id rules of the events, so a full card number is refused like anywhere else.
 */
export const NamedList = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  name: ListName,
  version: z.number().int().min(1),
  items: z.array(CardId).max(100_000, 'must hold at most 100000 items'),
  updatedAt: isoUtc,
  updatedBy: z.string().min(1).max(200),
});

/**
 * What the rules did in one detector batch (on `fraud.rule-hits`, in the batch's Kafka transaction, so
 * each payment is counted once): per rule that matched or failed, its hits and run-time errors.
 */
export const RuleHitCounts = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  detectedAt: isoUtc,
  /** Payments the rules were evaluated on. */
  payments: z.number().int().min(0),
  rules: z.array(
    z.strictObject({
      ruleId: RuleId,
      version: z.number().int().min(1),
      action: RuleAction,
      mode: z.enum(['active', 'shadow']),
      hits: z.number().int().min(0),
      errors: z.number().int().min(0),
    }),
  ),
});

export type RuleHitCounts = z.infer<typeof RuleHitCounts>;
export type RuleMode = z.infer<typeof RuleMode>;
export type RuleDefinition = z.infer<typeof RuleDefinition>;
export type Rule = z.infer<typeof Rule>;
export type NamedList = z.infer<typeof NamedList>;

/**
 * A rules file (`npm run backtest -- --rules`, the starter rules in rules/): a JSON array of definitions
 * with their ids; a rule without a mode is active.
 */
export const RulesFile = z.array(RuleDefinition.extend({ id: RuleId, mode: RuleMode.default('active') }));
/** A lists file (`--lists`, rules/starter-lists.json): list name → items. */
export const ListsFile = z.record(ListName, z.array(z.string()));

export type RulesFile = z.infer<typeof RulesFile>;
export type ListsFile = z.infer<typeof ListsFile>;
