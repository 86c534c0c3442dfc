import type { Alert } from '@fraudstream/shared';
import { labelForFeedback } from '../feedback.js';
import type { AlertFilters, AlertStats, AlertStatus, FeedbackLabel, PagePosition, StoredAlert } from '../schemas.js';
import { selectColumns, toStoredAlert, writeLock, type SelectedRow } from './alert-sql.js';
import type { Database, Queryable } from './database.js';
import { enqueueLabel, labelOutboxStore, type LabelOutboxStore } from './label-outbox.js';
import { migrate } from './migrations.js';
import { attachToCases, caseStore, reviewInCase, type CaseStore } from './cases.js';
import { paymentStore, type PaymentStore } from './payments.js';
import { ruleHitStore, type RuleHitStore } from './rule-hits.js';

export interface InsertResult {
  /** Alerts that were new; the others were already stored (redelivered or duplicated). */
  inserted: number;
}

export interface Feedback {
  label: FeedbackLabel;
  note?: string | undefined;
  at: Date;
}

/**
 * A stored alert as the database serialised it: `json` is a `StoredAlert`. Lists and streams pass
 * it through as text, so a page of 500 alerts costs Node no parsing and no re-serialising.
 */
export interface AlertRow {
  sequence: number;
  /** Detection time in epoch milliseconds (the store keeps milliseconds). */
  detectedAtMs: number;
  json: string;
}

/** Durable alerts: the same SQL on PostgreSQL and on PGlite. */
export interface AlertStore {
  readonly kind: Database['kind'];
  insertAlerts(alerts: Alert[]): Promise<InsertResult>;
  /** Newest first (by detection time), starting after `after` when given. */
  listAlerts(filters: AlertFilters, limit: number, after?: PagePosition): Promise<AlertRow[]>;
  /** Oldest first, with a sequence above `sequence` and at most `upTo`: what a stream has not sent yet. */
  alertsAfter(sequence: number, upTo: number, filters: AlertFilters, limit: number): Promise<AlertRow[]>;
  /** The highest stored sequence (0 when empty); every alert at or below it is visible. */
  latestSequence(): Promise<number>;
  getAlert(alertId: string): Promise<StoredAlert | undefined>;
  /**
   * Sets the analyst's verdict and queues its Label in the outbox, in one transaction: the label is
   * pending exactly when the verdict is stored. The alert gets a new sequence, so streams send it again.
   */
  recordFeedback(alertId: string, feedback: Feedback): Promise<StoredAlert | undefined>;
  /** Labels recorded with verdicts, waiting for Kafka (see outbox.ts). */
  readonly labelOutbox: LabelOutboxStore;
  /** The detectors' rule hit counts per minute (see rule-hits.ts). */
  readonly ruleHits: RuleHitStore;
  /** The scored payments of the last days and their labels (see payments.ts). */
  readonly payments: PaymentStore;
  /** The alerts of each card grouped into cases, decided together (see cases.ts). */
  readonly cases: CaseStore;
  stats(now: Date): Promise<AlertStats>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const toAlertRow = (row: SelectedRow): AlertRow => ({
  sequence: Number(row.sequence),
  detectedAtMs: Number(row.detected_ms),
  json: row.json,
});

/** Whether an alert's challenger would have raised it too (the Alert's `challenger.flagged`). */
const challengerFlagged = `(alert->'challenger'->>'flagged')::boolean`;

/** SQL conditions for the filters; pushes their values onto `params`. */
function filterConditions(filters: AlertFilters, params: unknown[]): string[] {
  const conditions: string[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown): void => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filters.cardId !== undefined) add((p) => `card_id = ${p}`, filters.cardId);
  if (filters.terminalId !== undefined) add((p) => `terminal_id = ${p}`, filters.terminalId);
  if (filters.status !== undefined) add((p) => `status = ${p}`, filters.status);
  if (filters.minScore !== undefined) add((p) => `score >= ${p}`, filters.minScore);
  if (filters.since !== undefined) add((p) => `detected_at >= ${p}::timestamptz`, filters.since);
  if (filters.until !== undefined) add((p) => `detected_at < ${p}::timestamptz`, filters.until);
  return conditions;
}

const where = (conditions: string[]): string => (conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`);

/**
 * Taken by every transaction that assigns sequences: writers take turns, so sequences become
 * visible in increasing order, and a stream that has seen sequence N has seen everything below N.
 * That is what makes Last-Event-ID resume gapless.
 */
/** Days of scored payments kept unless told otherwise (PAYMENTS_KEEP_DAYS). */
export const DEFAULT_PAYMENTS_KEEP_DAYS = 35;

/** Opens the store on `db` and brings its schema up to date. */
export async function createAlertStore(db: Database, options: { paymentsKeepDays?: number } = {}): Promise<AlertStore> {
  const cases = caseStore(db);
  await migrate(db);

  const insertAlerts = async (alerts: Alert[]): Promise<InsertResult> => {
    if (alerts.length === 0) return { inserted: 0 };
    return db.transaction(async (tx: Queryable) => {
      await tx.query(writeLock);
      // Detection time is kept to the millisecond, the precision of a JS Date, so page cursors
      // round-trip exactly; the event keeps its original timestamp.
      const rows = await tx.query<{ alert_id: string; card_id: string; score: number }>(
        `INSERT INTO alerts (alert_id, card_id, terminal_id, score, model_version, detected_at, alert)
         SELECT (a->>'alertId')::uuid, a->'transaction'->>'cardId', a->'transaction'->>'terminalId',
                (a->>'score')::double precision, a->>'modelVersion',
                date_trunc('milliseconds', (a->>'detectedAt')::timestamptz), a
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS batch(a, position)
         ORDER BY position
         ON CONFLICT (alert_id) DO NOTHING
         RETURNING alert_id, card_id, score`,
        [JSON.stringify(alerts)],
      );
      const byId = new Map(alerts.map((alert) => [alert.alertId, alert]));
      await attachToCases(
        tx,
        rows.flatMap((row) => {
          const alert = byId.get(row.alert_id);
          return alert
            ? [{ alertId: alert.alertId, cardId: alert.transaction.cardId, score: alert.score, amount: alert.transaction.amount, currency: alert.transaction.currency, decision: alert.decision, timestamp: alert.transaction.timestamp }]
            : [];
        }),
      );
      return { inserted: rows.length };
    });
  };

  const listAlerts = async (filters: AlertFilters, limit: number, after?: PagePosition): Promise<AlertRow[]> => {
    const params: unknown[] = [];
    const conditions = filterConditions(filters, params);
    if (after !== undefined) {
      params.push(after.detectedAt.toISOString(), after.sequence);
      conditions.push(`(detected_at, sequence) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(limit);
    const rows = await db.query<SelectedRow>(
      `SELECT ${selectColumns} FROM alerts ${where(conditions)}
       ORDER BY detected_at DESC, sequence DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toAlertRow);
  };

  const alertsAfter = async (sequence: number, upTo: number, filters: AlertFilters, limit: number): Promise<AlertRow[]> => {
    const params: unknown[] = [sequence, upTo];
    const conditions = ['sequence > $1', 'sequence <= $2', ...filterConditions(filters, params)];
    params.push(limit);
    const rows = await db.query<SelectedRow>(
      `SELECT ${selectColumns} FROM alerts ${where(conditions)} ORDER BY sequence LIMIT $${params.length}`,
      params,
    );
    return rows.map(toAlertRow);
  };

  const latestSequence = async (): Promise<number> => {
    const [row] = await db.query<{ latest: string | number | null }>('SELECT max(sequence) AS latest FROM alerts');
    return Number(row?.latest ?? 0);
  };

  const getAlert = async (alertId: string): Promise<StoredAlert | undefined> => {
    const [row] = await db.query<SelectedRow>(`SELECT ${selectColumns} FROM alerts WHERE alert_id = $1::uuid`, [alertId]);
    return row === undefined ? undefined : toStoredAlert(row);
  };

  const recordFeedback = async (alertId: string, feedback: Feedback): Promise<StoredAlert | undefined> =>
    db.transaction(async (tx: Queryable) => {
      await tx.query(writeLock);
      // A reviewed alert moves to the end of the sequence, so open streams (and streams resuming
      // from Last-Event-ID) receive its new status like a newly stored alert.
      const [before] = await tx.query<{ status: string }>('SELECT status FROM alerts WHERE alert_id = $1::uuid FOR UPDATE', [alertId]);
      if (before === undefined) return undefined;
      const [row] = await tx.query<SelectedRow>(
        `UPDATE alerts SET status = $2, feedback_note = $3, feedback_at = $4::timestamptz,
           sequence = nextval(pg_get_serial_sequence('alerts', 'sequence'))
         WHERE alert_id = $1::uuid RETURNING ${selectColumns}`,
        [alertId, feedback.label, feedback.note ?? null, feedback.at.toISOString()],
      );
      if (row === undefined) return undefined;
      const stored = toStoredAlert(row);
      await enqueueLabel(tx, labelForFeedback(stored, feedback));
      await reviewInCase(tx, stored, before.status === 'open', feedback.label, feedback.at, feedback.note);
      return stored;
    });

  const stats = async (now: Date): Promise<AlertStats> => {
    const firstMinute = Math.floor(now.getTime() / 60_000) * 60_000 - 59 * 60_000;
    const since24h = new Date(now.getTime() - 24 * 3600_000).toISOString();
    const [perMinute, byStatus, models, challengers, caseTotals] = await Promise.all([
      db.query<{ minute: Date; count: string | number }>(
        `SELECT date_trunc('minute', detected_at) AS minute, count(*) AS count FROM alerts
         WHERE detected_at >= $1::timestamptz AND detected_at < $2::timestamptz GROUP BY 1`,
        [new Date(firstMinute).toISOString(), new Date(firstMinute + 60 * 60_000).toISOString()],
      ),
      db.query<{ status: AlertStatus; count: string | number }>('SELECT status, count(*) AS count FROM alerts GROUP BY status'),
      db.query<{ model_version: string; alerts: string | number; last_detected_at: Date }>(
        `SELECT model_version, count(*) AS alerts, max(detected_at) AS last_detected_at FROM alerts
         WHERE detected_at >= $1::timestamptz GROUP BY model_version ORDER BY last_detected_at DESC`,
        [since24h],
      ),
      db.query<Record<'model_version' | 'alerts' | 'would_alert' | 'fraud' | 'fraud_flagged' | 'legit' | 'legit_flagged', string | number>>(
        `SELECT alert->'challenger'->>'modelVersion' AS model_version, count(*) AS alerts,
           count(*) FILTER (WHERE ${challengerFlagged}) AS would_alert,
           count(*) FILTER (WHERE status = 'fraud') AS fraud,
           count(*) FILTER (WHERE status = 'fraud' AND ${challengerFlagged}) AS fraud_flagged,
           count(*) FILTER (WHERE status = 'legit') AS legit,
           count(*) FILTER (WHERE status = 'legit' AND ${challengerFlagged}) AS legit_flagged
         FROM alerts WHERE detected_at >= $1::timestamptz AND alert->'challenger' IS NOT NULL
         GROUP BY 1 ORDER BY max(detected_at) DESC`,
        [since24h],
      ),
      cases.stats(now),
    ]);
    const counts = new Map(perMinute.map((row) => [row.minute.getTime(), Number(row.count)]));
    const totals = { all: 0, open: 0, fraud: 0, legit: 0 };
    for (const row of byStatus) {
      totals[row.status] = Number(row.count);
      totals.all += Number(row.count);
    }
    const reviewed = totals.fraud + totals.legit;
    return {
      generatedAt: now.toISOString(),
      cases: caseTotals,
      alertsPerMinute: Array.from({ length: 60 }, (_, index) => {
        const minute = firstMinute + index * 60_000;
        return { minute: new Date(minute).toISOString(), count: counts.get(minute) ?? 0 };
      }),
      totals,
      precision: reviewed === 0 ? null : totals.fraud / reviewed,
      modelVersions: models.map((row) => ({
        modelVersion: row.model_version,
        alerts: Number(row.alerts),
        lastDetectedAt: row.last_detected_at.toISOString(),
      })),
      challengers: challengers.map((row) => ({
        modelVersion: String(row.model_version),
        alerts: Number(row.alerts),
        wouldAlert: Number(row.would_alert),
        reviewedFraud: Number(row.fraud),
        fraudItWouldAlert: Number(row.fraud_flagged),
        reviewedLegit: Number(row.legit),
        legitItWouldAlert: Number(row.legit_flagged),
      })),
    };
  };

  return {
    kind: db.kind,
    insertAlerts,
    listAlerts,
    alertsAfter,
    latestSequence,
    getAlert,
    recordFeedback,
    labelOutbox: labelOutboxStore(db),
    ruleHits: ruleHitStore(db),
    payments: paymentStore(db, { keepDays: options.paymentsKeepDays ?? DEFAULT_PAYMENTS_KEEP_DAYS }),
    cases,
    stats,
    async ping() {
      await db.query('SELECT 1');
    },
    close: () => db.close(),
  };
}
