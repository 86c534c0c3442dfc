import { z } from 'zod';
import { AlertDecision, CardId, RuleHit } from '@fraudstream/shared';
import { FeedbackLabel, StoredAlert } from '../schemas.js';

/** An analyst's name as the desk shows it: who decided, who is assigned. */
const AnalystName = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N} ._@'-]+$/u, 'may only hold letters, digits, spaces and . _ @ \' -');

export const CaseStatus = z.enum(['open', 'decided']);

/** The alerts of one card, decided together (docs/cases.md in the words: the analyst's desk). */
export const Case = z.object({
  caseId: z.string(),
  cardId: CardId,
  status: CaseStatus,
  openedAt: z.string().describe('When its first alert was stored'),
  updatedAt: z.string(),
  firstAlertAt: z.string().describe('Payment time (event time) of its oldest alert'),
  lastAlertAt: z.string().describe('Payment time of its newest alert'),
  alertCount: z.number().int(),
  openAlertCount: z.number().int(),
  maxScore: z.number(),
  amountAtRisk: z.number().describe('Sum of the open alerts\' amounts'),
  currency: z.string().nullable(),
  decisions: z.object({ block: z.number().int(), review: z.number().int() }),
  priority: z.number().describe('maxScore + 1 if any alert is a block + min(1, amountAtRisk / 1000) × 0.5: higher first'),
  assignee: z.string().nullable(),
  decision: z.object({ label: FeedbackLabel, note: z.string().nullable(), by: z.string(), at: z.string() }).nullable(),
});
export type Case = z.infer<typeof Case>;

export const CaseQuery = z.object({
  status: CaseStatus.default('open'),
  sort: z.enum(['priority', 'age']).default('priority').describe('priority: highest first; age: oldest opened first'),
  assignee: z.union([z.literal(''), AnalystName]).optional().describe('Only cases assigned to this analyst; empty: only unassigned ones'),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().regex(/^\d{1,9}$/, 'expected the nextCursor of a previous page').optional(),
  token: z.string().max(256).optional().describe('Read token, for clients that cannot send an Authorization header'),
});
export type CaseQuery = z.infer<typeof CaseQuery>;

export const CaseList = z.object({ cases: z.array(Case), nextCursor: z.string().nullable() });

/** A payment of the card from the payments store, alerted or not. */
export const CasePayment = z.object({
  transactionId: z.string(),
  timestamp: z.string(),
  amount: z.number().nullable(),
  currency: z.string().nullable(),
  terminalId: z.string().nullable(),
  channel: z.string().nullable(),
  merchantCategory: z.string().nullable(),
  score: z.number(),
  flagged: z.boolean(),
  decision: AlertDecision.nullable(),
  ruleHits: z.array(RuleHit),
  alertId: z.string().nullable(),
  label: z.object({ fraud: z.boolean(), source: z.string() }).nullable(),
});
export type CasePayment = z.infer<typeof CasePayment>;

export const CaseDetail = z.object({ case: Case, alerts: z.array(StoredAlert), payments: z.array(CasePayment) });

export const CaseDecisionBody = z.strictObject({
  label: FeedbackLabel,
  note: z.string().max(2000).optional(),
  analyst: AnalystName.optional().describe('Who decides (the audit trail); default "analyst"'),
  openAlertCount: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .optional()
    .describe('The open alerts the analyst saw: when the case has another number now (an alert joined it meanwhile), 409 and nothing changes'),
});

export const CaseAssignBody = z.strictObject({
  assignee: AnalystName.nullable(),
  analyst: AnalystName.optional(),
});

export const CaseEvent = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.enum(['opened', 'alert-added', 'alert-reviewed', 'assigned', 'decided']),
  detail: z.record(z.string(), z.unknown()),
});
export const CaseHistory = z.object({ events: z.array(CaseEvent) });
export type CaseEvent = z.infer<typeof CaseEvent>;

/** What the case stream's `type` says of each change in the audit trail. */
export const caseEventType = (action: CaseEvent['action']): 'opened' | 'updated' | 'decided' =>
  action === 'opened' || action === 'decided' ? action : 'updated';

/** One `case` event of GET /cases/stream: an entry of a case's audit trail with the case as it is now. */
export const CaseStreamEvent = z.object({
  eventId: z.number().int().describe('The SSE event id: this entry\'s place in every case\'s audit trail'),
  type: z.enum(['opened', 'updated', 'decided']).describe('opened: the card\'s first alert since its last decided case; updated: an alert joined or was reviewed, or the case was assigned; decided'),
  change: CaseEvent.shape.action,
  at: z.string(),
  actor: z.string(),
  detail: z.record(z.string(), z.unknown()),
  case: Case.describe('The case as it is when the event is sent (a stream catching up sees the latest state with each older change)'),
});
export type CaseStreamEvent = z.infer<typeof CaseStreamEvent>;

/** `CaseStreamEvent` as an OpenAPI component (an SSE body has no schema of its own there). */
export function caseStreamEventJsonSchema(): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(CaseStreamEvent);
  return schema;
}

/** The case stream's filters: one case (a case page), or one card's cases. */
export const CaseStreamFilters = z.object({
  caseId: z.uuid().transform((id) => id.toLowerCase()).optional().describe('Only this case\'s events'),
  cardId: CardId.optional().describe('Only the events of this card\'s cases'),
});
export type CaseStreamFilters = z.infer<typeof CaseStreamFilters>;

export const CaseStats = z.object({
  open: z.number().int(),
  decidedLastDay: z.number().int(),
  unassigned: z.number().int(),
  oldestOpenAt: z.string().nullable(),
});
export type CaseStats = z.infer<typeof CaseStats>;
