import { z } from 'zod';
import { Alert, CardId } from '@fraudstream/shared';

/** An alert's review state: open until an analyst marks it fraud or legit. */
export const AlertStatus = z.enum(['open', 'fraud', 'legit']);
export type AlertStatus = z.infer<typeof AlertStatus>;

export const FeedbackLabel = z.enum(['fraud', 'legit']);
export type FeedbackLabel = z.infer<typeof FeedbackLabel>;

const isoTimestamp = z.iso.datetime({ offset: true, message: 'expected an ISO 8601 timestamp such as 2026-01-31T12:00:00Z' });

/** A stored alert as the API returns it: the event, plus where it stands. */
export const StoredAlert = Alert.omit({ schemaVersion: true }).extend({
  /** Position in the store's change order: a new one each time the alert is stored or reviewed; the stream's event id. */
  sequence: z.number().int().positive(),
  status: AlertStatus,
  storedAt: z.string(),
  feedback: z
    .object({ label: FeedbackLabel, note: z.string().nullable(), at: z.string() })
    .nullable(),
});
export type StoredAlert = z.infer<typeof StoredAlert>;

/** Filters shared by the list and the stream. */
export const AlertFilters = z.object({
  cardId: CardId.optional().describe('Only alerts on this card, e.g. card-42'),
  terminalId: z.string().min(1).max(128).optional().describe('Only alerts at this terminal, e.g. term-7'),
  status: AlertStatus.optional(),
  minScore: z.coerce.number().min(0).max(1).optional().describe('Only alerts scored at least this (0..1)'),
  since: isoTimestamp.optional().describe('Only alerts detected at or after this time'),
  until: isoTimestamp.optional().describe('Only alerts detected before this time'),
});
export type AlertFilters = z.infer<typeof AlertFilters>;

/** Newest-first position in the list: the last item of the previous page. */
export interface PagePosition {
  detectedAt: Date;
  sequence: number;
}

export const AlertStats = z.object({
  generatedAt: z.string(),
  /** Alerts detected in each of the last 60 minutes, oldest first. */
  alertsPerMinute: z.array(z.object({ minute: z.string(), count: z.number().int() })),
  totals: z.object({ all: z.number().int(), open: z.number().int(), fraud: z.number().int(), legit: z.number().int() }),
  /** Share of analyst-reviewed alerts confirmed as fraud; null before any feedback. */
  precision: z.number().nullable(),
  modelVersions: z.array(z.object({ modelVersion: z.string(), alerts: z.number().int(), lastDetectedAt: z.string() })),
});
export type AlertStats = z.infer<typeof AlertStats>;
