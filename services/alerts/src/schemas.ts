import { z } from 'zod';
import { Alert, CardId, DAY_MS, TerminalId } from '@fraudstream/shared';

/** An alert's review state: open until an analyst marks it fraud or legit. */
export const AlertStatus = z.enum(['open', 'fraud', 'legit']);
export type AlertStatus = z.infer<typeof AlertStatus>;

export const FeedbackLabel = z.enum(['fraud', 'legit']);
export type FeedbackLabel = z.infer<typeof FeedbackLabel>;

/** The window a time filter may name: from the Unix epoch to a few years ahead of the clock. */
export const filterTimeWindow = { earliest: '1970-01-01T00:00:00Z', yearsAhead: 5 } as const;
const earliestFilterMs = Date.parse(filterTimeWindow.earliest);
const latestFilterMs = (): number => Date.now() + filterTimeWindow.yearsAhead * 365.25 * DAY_MS;

/**
 * A time given to a filter: ISO 8601 with a UTC offset, within `filterTimeWindow`, handed on as UTC
 * (`2026-01-31T12:00:00.000Z`) so the database never sees a year or an offset it cannot hold.
 */
const filterTime = z.iso
  .datetime({ offset: true, message: 'expected an ISO 8601 timestamp such as 2026-01-31T12:00:00Z' })
  .refine(
    (value) => {
      const time = Date.parse(value);
      return time >= earliestFilterMs && time <= latestFilterMs();
    },
    { message: `must be between ${filterTimeWindow.earliest} and ${filterTimeWindow.yearsAhead} years from now` },
  )
  .transform((value) => new Date(value).toISOString());

const timeBounds = `(between ${filterTimeWindow.earliest} and ${filterTimeWindow.yearsAhead} years from now)`;

/** A stored alert as the API returns it: the event, plus where it stands. */
export const StoredAlert = Alert.omit({ schemaVersion: true }).extend({
  /** Position in the store's change order: a new one each time the alert is stored or reviewed; the stream's event id. */
  sequence: z.number().int().positive(),
  status: AlertStatus,
  /** The card's case the alert belongs to (null for alerts reviewed before cases existed). */
  caseId: z.string().nullable().optional(),
  storedAt: z.string(),
  feedback: z
    .object({ label: FeedbackLabel, note: z.string().nullable(), at: z.string() })
    .nullable(),
});
export type StoredAlert = z.infer<typeof StoredAlert>;

/** Filters shared by the list and the stream. */
export const AlertFilters = z.object({
  cardId: CardId.optional().describe('Only alerts on this card, e.g. card-42'),
  terminalId: TerminalId.optional().describe('Only alerts at this terminal, e.g. term-7'),
  status: AlertStatus.optional(),
  minScore: z.coerce.number().min(0).max(1).optional().describe('Only alerts scored at least this (0..1)'),
  since: filterTime.optional().describe(`Only alerts detected at or after this time ${timeBounds}`),
  until: filterTime.optional().describe(`Only alerts detected before this time ${timeBounds}; later than \`since\``),
});
export type AlertFilters = z.infer<typeof AlertFilters>;

/** The cross-field rule of `AlertFilters`, for the route schemas that extend it (zod cannot extend a refined object). */
export function untilAfterSince(filters: Pick<AlertFilters, 'since' | 'until'>, ctx: z.RefinementCtx): void {
  if (filters.since !== undefined && filters.until !== undefined && Date.parse(filters.since) >= Date.parse(filters.until)) {
    ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be later than since' });
  }
}

/** Newest-first position in the list: the last item of the previous page. */
export interface PagePosition {
  detectedAt: Date;
  sequence: number;
}

export const AlertStats = z.object({
  generatedAt: z.string(),
  /** The analysts' desk: open cases, decided in the last day, open and unassigned, the oldest open one. */
  cases: z.object({ open: z.number().int(), decidedLastDay: z.number().int(), unassigned: z.number().int(), oldestOpenAt: z.string().nullable() }),
  /** Alerts detected in each of the last 60 minutes, oldest first. */
  alertsPerMinute: z.array(z.object({ minute: z.string(), count: z.number().int() })),
  totals: z.object({ all: z.number().int(), open: z.number().int(), fraud: z.number().int(), legit: z.number().int() }),
  /** Share of analyst-reviewed alerts confirmed as fraud; null before any feedback. */
  precision: z.number().nullable(),
  modelVersions: z.array(z.object({ modelVersion: z.string(), alerts: z.number().int(), lastDetectedAt: z.string() })),
  /**
   * The shadow challengers of the last 24 hours (CHALLENGER_MODEL_DIR on the detectors), on the alerts
   * the serving model raised: how many the challenger would have raised too, and of those analysts
   * reviewed, the frauds it would have caught and the legitimate ones it would have spared.
   */
  challengers: z.array(
    z.object({
      modelVersion: z.string(),
      alerts: z.number().int(),
      wouldAlert: z.number().int(),
      reviewedFraud: z.number().int(),
      fraudItWouldAlert: z.number().int(),
      reviewedLegit: z.number().int(),
      legitItWouldAlert: z.number().int(),
    }),
  ),
});
export type AlertStats = z.infer<typeof AlertStats>;
