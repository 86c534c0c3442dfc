import { alertIdFor } from '@fraudstream/shared';
import { caseEventType, type Case, type CaseEvent, type CasePayment, type CaseQuery, type CaseStats, type CaseStreamEvent, type CaseStreamFilters } from '../cases/schemas.js';
import { labelForFeedback } from '../feedback.js';
import type { FeedbackLabel, StoredAlert } from '../schemas.js';
import { isoUtc, selectColumns, toStoredAlert, writeLock, type SelectedRow } from './alert-sql.js';
import type { Database, Queryable } from './database.js';
import { enqueueLabel } from './label-outbox.js';

/** A newly stored alert, as the case it joins needs it. */
export interface NewAlert {
  alertId: string;
  cardId: string;
  score: number;
  amount: number;
  currency: string;
  decision: string;
  timestamp: string;
}

const caseColumns = `case_id, card_id, status, ${isoUtc('opened_at')} AS opened_at, ${isoUtc('updated_at')} AS updated_at,
  ${isoUtc('first_alert_at')} AS first_alert_at, ${isoUtc('last_alert_at')} AS last_alert_at, alert_count, open_alert_count,
  max_score, amount_at_risk, currency, blocks, priority, assignee, decision_label, decision_note, decided_by,
  ${isoUtc('decided_at')} AS decided_at`;

interface CaseRow {
  case_id: string;
  card_id: string;
  status: 'open' | 'decided';
  opened_at: string;
  updated_at: string;
  first_alert_at: string;
  last_alert_at: string;
  alert_count: number;
  open_alert_count: number;
  max_score: number;
  amount_at_risk: number;
  currency: string | null;
  blocks: number;
  priority: number;
  assignee: string | null;
  decision_label: FeedbackLabel | null;
  decision_note: string | null;
  decided_by: string | null;
  decided_at: string | null;
}

const toCase = (row: CaseRow): Case => ({
  caseId: row.case_id,
  cardId: row.card_id,
  status: row.status,
  openedAt: row.opened_at,
  updatedAt: row.updated_at,
  firstAlertAt: row.first_alert_at,
  lastAlertAt: row.last_alert_at,
  alertCount: Number(row.alert_count),
  openAlertCount: Number(row.open_alert_count),
  maxScore: Number(row.max_score),
  amountAtRisk: Math.round(Number(row.amount_at_risk) * 100) / 100,
  currency: row.currency,
  decisions: { block: Number(row.blocks), review: Number(row.alert_count) - Number(row.blocks) },
  priority: Number(row.priority),
  assignee: row.assignee,
  decision:
    row.decision_label === null || row.decided_at === null
      ? null
      : { label: row.decision_label, note: row.decision_note, by: row.decided_by ?? 'analyst', at: row.decided_at },
});

const event = (tx: Queryable, caseId: string, actor: string, action: CaseEvent['action'], detail: Record<string, unknown>, at?: Date) =>
  tx.query('INSERT INTO case_events (case_id, actor, action, detail, at) VALUES ($1::uuid, $2, $3, $4::jsonb, COALESCE($5::timestamptz, now()))', [
    caseId,
    actor,
    action,
    JSON.stringify(detail),
    at?.toISOString() ?? null,
  ]);

/**
 * Puts newly stored alerts into their cards' open cases, opening a case for a card that has none, in
 * the transaction that stored them: an alert is never without its case.
 */
export async function attachToCases(tx: Queryable, alerts: readonly NewAlert[]): Promise<void> {
  if (alerts.length === 0) return;
  const cases = await tx.query<{ case_id: string; card_id: string; opened: boolean }>(
    `INSERT INTO cases (case_id, card_id, alert_count, open_alert_count, max_score, amount_at_risk, currency, blocks, first_alert_at, last_alert_at)
     SELECT gen_random_uuid(), card_id, count(*), count(*), max(score), sum(amount), min(currency),
            count(*) FILTER (WHERE decision = 'block'), min(timestamp), max(timestamp)
       FROM jsonb_to_recordset($1::jsonb) AS a(card_id text, score double precision, amount double precision, currency text, decision text, timestamp timestamptz)
      GROUP BY card_id
     ON CONFLICT (card_id) WHERE status = 'open' DO UPDATE SET
       alert_count = cases.alert_count + EXCLUDED.alert_count,
       open_alert_count = cases.open_alert_count + EXCLUDED.open_alert_count,
       max_score = greatest(cases.max_score, EXCLUDED.max_score),
       amount_at_risk = cases.amount_at_risk + EXCLUDED.amount_at_risk,
       blocks = cases.blocks + EXCLUDED.blocks,
       first_alert_at = least(cases.first_alert_at, EXCLUDED.first_alert_at),
       last_alert_at = greatest(cases.last_alert_at, EXCLUDED.last_alert_at),
       updated_at = now()
     RETURNING case_id, card_id, (xmax = 0) AS opened`,
    [JSON.stringify(alerts.map((alert) => ({ card_id: alert.cardId, score: alert.score, amount: alert.amount, currency: alert.currency, decision: alert.decision, timestamp: alert.timestamp })))],
  );
  const caseOf = new Map(cases.map((row) => [row.card_id, row]));
  const rows = alerts.map((alert) => ({ alert_id: alert.alertId, case_id: caseOf.get(alert.cardId)?.case_id, score: alert.score, opened: caseOf.get(alert.cardId)?.opened ?? false }));
  await tx.query(
    `UPDATE alerts SET case_id = r.case_id FROM jsonb_to_recordset($1::jsonb) AS r(alert_id uuid, case_id uuid) WHERE alerts.alert_id = r.alert_id`,
    [JSON.stringify(rows)],
  );
  // The audit trail: a new case says it was opened (by the detector), then each alert that joined.
  const opened = new Set<string>();
  const events = rows.flatMap((row) => {
    const first = row.opened && !opened.has(row.case_id ?? '');
    if (first) opened.add(row.case_id ?? '');
    return [{ case_id: row.case_id, action: first ? 'opened' : 'alert-added', detail: { alertId: row.alert_id, score: row.score } }];
  });
  await tx.query(
    `INSERT INTO case_events (case_id, actor, action, detail)
     SELECT case_id, 'detector', action, detail FROM jsonb_to_recordset($1::jsonb) AS e(case_id uuid, action text, detail jsonb)`,
    [JSON.stringify(events)],
  );
}

/**
 * A verdict given on one alert (POST /alerts/{id}/feedback), in its transaction: the case counts it,
 * and once none of its alerts is open the case is decided (fraud if any of them is).
 */
export async function reviewInCase(tx: Queryable, alert: StoredAlert, wasOpen: boolean, label: FeedbackLabel, at: Date, note: string | undefined): Promise<void> {
  if (!wasOpen || !alert.caseId) return;
  const [row] = await tx.query<{ open_alert_count: number; status: string }>(
    `UPDATE cases SET open_alert_count = open_alert_count - 1, amount_at_risk = greatest(0, amount_at_risk - $2), updated_at = now()
      WHERE case_id = $1::uuid AND status = 'open' RETURNING open_alert_count, status`,
    [alert.caseId, alert.transaction.amount],
  );
  if (!row) return;
  await event(tx, alert.caseId, 'analyst', 'alert-reviewed', { alertId: alert.alertId, label });
  if (Number(row.open_alert_count) > 0) return;
  const [decided] = await tx.query<{ label: FeedbackLabel }>(
    `UPDATE cases SET status = 'decided', decided_at = $2::timestamptz, decided_by = 'analyst', decision_note = $3,
            decision_label = CASE WHEN EXISTS (SELECT 1 FROM alerts WHERE case_id = $1::uuid AND status = 'fraud') THEN 'fraud' ELSE 'legit' END
      WHERE case_id = $1::uuid RETURNING decision_label AS label`,
    [alert.caseId, at.toISOString(), note ?? null],
  );
  await event(tx, alert.caseId, 'analyst', 'decided', { label: decided?.label ?? label, note: note ?? null, alerts: 0, lastAlertReviewed: alert.alertId });
}

/** An entry of the audit trail as the case stream sends it (see `CaseStreamEvent`). */
export interface CaseEventRow {
  sequence: number;
  caseId: string;
  cardId: string;
  json: string;
}

export type DecisionOutcome = { case: Case; alerts: StoredAlert[] } | 'not-found' | 'already-decided' | { changed: Case };

export interface CaseStore {
  list(query: CaseQuery): Promise<{ cases: Case[]; nextCursor: string | null }>;
  get(caseId: string): Promise<Case | undefined>;
  alerts(caseId: string): Promise<StoredAlert[]>;
  /** The card's scored payments from `since` on, newest first, with their labels (the payments store). */
  payments(cardId: string, since: Date, limit: number): Promise<CasePayment[]>;
  /** Every open alert of the case gets the verdict and its Label is queued, with the case decided, in one transaction. */
  /** With `openAlertCount`, only when the case has exactly that many open alerts (else `changed`, and nothing is). */
  decide(caseId: string, decision: { label: FeedbackLabel; note?: string | undefined; analyst: string; at: Date; openAlertCount?: number | undefined }): Promise<DecisionOutcome>;
  assign(caseId: string, assignee: string | null, analyst: string): Promise<Case | undefined>;
  history(caseId: string): Promise<CaseEvent[]>;
  stats(now: Date): Promise<CaseStats>;
  /** Oldest first: the audit trail's entries after `sequence`, at most `upTo`, with each case as it is now. */
  eventsAfter(sequence: number, upTo: number, filters: CaseStreamFilters, limit: number): Promise<CaseEventRow[]>;
  /** The audit trail's latest entry (0 when empty); every entry at or below it is visible (its writers hold `writeLock`). */
  latestEvent(): Promise<number>;
}

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function caseStore(db: Database): CaseStore {
  const get = async (caseId: string, q: Queryable = db): Promise<Case | undefined> => {
    if (!uuidShape.test(caseId)) return undefined;
    const [row] = await q.query<CaseRow>(`SELECT ${caseColumns} FROM cases WHERE case_id = $1::uuid`, [caseId]);
    return row ? toCase(row) : undefined;
  };
  return {
    async list({ status, sort, assignee, limit, cursor }) {
      const params: unknown[] = [status];
      const conditions = ['status = $1'];
      if (assignee !== undefined) {
        if (assignee === '') conditions.push('assignee IS NULL');
        else {
          params.push(assignee);
          conditions.push(`assignee = $${params.length}`);
        }
      }
      const offset = cursor === undefined ? 0 : Number(cursor);
      params.push(limit + 1, offset);
      const order = sort === 'priority' ? 'priority DESC, case_id' : 'opened_at, case_id';
      const rows = await db.query<CaseRow>(
        `SELECT ${caseColumns} FROM cases WHERE ${conditions.join(' AND ')} ORDER BY ${order} LIMIT $${params.length - 1} OFFSET $${params.length}`,
        params,
      );
      return { cases: rows.slice(0, limit).map(toCase), nextCursor: rows.length > limit ? String(offset + limit) : null };
    },

    get: (caseId) => get(caseId),

    async alerts(caseId) {
      if (!uuidShape.test(caseId)) return [];
      const rows = await db.query<SelectedRow>(`SELECT ${selectColumns} FROM alerts WHERE case_id = $1::uuid ORDER BY detected_at DESC, sequence DESC`, [caseId]);
      return rows.map(toStoredAlert);
    },

    async payments(cardId, since, limit) {
      const rows = await db.query<{ transaction_id: string; card_id: string; payment: Record<string, unknown>; fraud: boolean | null; source: string | null }>(
        `SELECT p.transaction_id, p.card_id, p.payment, l.fraud, l.source
           FROM payments p LEFT JOIN payment_labels l ON l.card_id = p.card_id AND l.transaction_id = p.transaction_id
          WHERE p.card_id = $1 AND p.event_time >= $2 AND p.day >= $3::date
          ORDER BY p.event_time DESC LIMIT $4`,
        [cardId, since.toISOString(), since.toISOString().slice(0, 10), limit],
      );
      return rows.map(({ transaction_id, card_id, payment, fraud, source }) => {
        const text = (key: string): string | null => (typeof payment[key] === 'string' ? (payment[key] as string) : null);
        const flagged = payment['flagged'] === true;
        return {
          transactionId: transaction_id,
          timestamp: text('timestamp') ?? '',
          amount: typeof payment['amount'] === 'number' ? payment['amount'] : null,
          currency: text('currency'),
          terminalId: text('terminalId'),
          channel: text('channel'),
          merchantCategory: text('merchantCategory'),
          score: Number(payment['score'] ?? 0),
          flagged,
          decision: payment['decision'] === 'block' || payment['decision'] === 'review' ? payment['decision'] : null,
          ruleHits: Array.isArray(payment['ruleHits']) ? (payment['ruleHits'] as CasePayment['ruleHits']) : [],
          // An alert is exactly a flagged payment, under the id derived from the payment's ids.
          alertId: flagged ? alertIdFor({ transactionId: transaction_id, cardId: card_id }) : null,
          label: fraud === null || source === null ? null : { fraud, source },
        };
      });
    },

    decide: (caseId, { label, note, analyst, at, openAlertCount }) =>
      db.transaction(async (tx): Promise<DecisionOutcome> => {
        await tx.query(writeLock);
        const current = await get(caseId, tx);
        if (!current) return 'not-found';
        if (current.status !== 'open') return 'already-decided';
        if (openAlertCount !== undefined && current.openAlertCount !== openAlertCount) return { changed: current };
        // Like a verdict on one alert: each moves to the end of the sequence, so streams send it again.
        const rows = await tx.query<SelectedRow>(
          `UPDATE alerts SET status = $2, feedback_note = $3, feedback_at = $4::timestamptz,
             sequence = nextval(pg_get_serial_sequence('alerts', 'sequence'))
           WHERE case_id = $1::uuid AND status = 'open' RETURNING ${selectColumns}`,
          [caseId, label, note ?? null, at.toISOString()],
        );
        const alerts = rows.map(toStoredAlert);
        for (const alert of alerts) await enqueueLabel(tx, labelForFeedback(alert, { label, note, at }));
        await tx.query(
          `UPDATE cases SET status = 'decided', decision_label = $2, decision_note = $3, decided_by = $4, decided_at = $5::timestamptz,
                  open_alert_count = 0, amount_at_risk = 0, updated_at = now()
            WHERE case_id = $1::uuid`,
          [caseId, label, note ?? null, analyst, at.toISOString()],
        );
        await event(tx, caseId, analyst, 'decided', { label, note: note ?? null, alerts: alerts.length });
        return { case: (await get(caseId, tx))!, alerts };
      }),

    assign: (caseId, assignee, analyst) =>
      db.transaction(async (tx) => {
        if (!uuidShape.test(caseId)) return undefined;
        // The audit trail's ids become visible in order, like the alerts' sequence (the case stream relies on it).
        await tx.query(writeLock);
        const [row] = await tx.query<{ case_id: string }>('UPDATE cases SET assignee = $2, updated_at = now() WHERE case_id = $1::uuid RETURNING case_id', [caseId, assignee]);
        if (!row) return undefined;
        await event(tx, caseId, analyst, 'assigned', { assignee });
        return get(caseId, tx);
      }),

    async history(caseId) {
      if (!uuidShape.test(caseId)) return [];
      const rows = await db.query<{ at: string; actor: string; action: CaseEvent['action']; detail: Record<string, unknown> }>(
        `SELECT ${isoUtc('at')} AS at, actor, action, detail FROM case_events WHERE case_id = $1::uuid ORDER BY id`,
        [caseId],
      );
      return rows;
    },

    async stats(now) {
      const [row] = await db.query<{ open: string; decided: string; unassigned: string; oldest: string | null }>(
        `SELECT count(*) FILTER (WHERE status = 'open') AS open,
                count(*) FILTER (WHERE status = 'decided' AND decided_at >= $1::timestamptz) AS decided,
                count(*) FILTER (WHERE status = 'open' AND assignee IS NULL) AS unassigned,
                ${isoUtc("min(opened_at) FILTER (WHERE status = 'open')")} AS oldest
           FROM cases`,
        [new Date(now.getTime() - 86_400_000).toISOString()],
      );
      return { open: Number(row?.open ?? 0), decidedLastDay: Number(row?.decided ?? 0), unassigned: Number(row?.unassigned ?? 0), oldestOpenAt: row?.oldest ?? null };
    },

    async eventsAfter(sequence, upTo, { caseId, cardId }, limit) {
      if (caseId !== undefined && !uuidShape.test(caseId)) return [];
      const params: unknown[] = [sequence, upTo];
      const conditions = ['e.id > $1', 'e.id <= $2'];
      if (caseId !== undefined) {
        params.push(caseId);
        conditions.push(`e.case_id = $${params.length}::uuid`);
      }
      if (cardId !== undefined) {
        params.push(cardId);
        conditions.push(`c.card_id = $${params.length}`);
      }
      params.push(limit);
      const rows = await db.query<CaseRow & { event_id: string | number; action: CaseEvent['action']; actor: string; event_at: string; detail: Record<string, unknown> }>(
        `SELECT e.id AS event_id, e.action, e.actor, ${isoUtc('e.at')} AS event_at, e.detail, c.*
           FROM case_events e JOIN LATERAL (SELECT ${caseColumns} FROM cases WHERE cases.case_id = e.case_id) c ON true
          WHERE ${conditions.join(' AND ')} ORDER BY e.id LIMIT $${params.length}`,
        params,
      );
      return rows.map((row) => {
        const sequence = Number(row.event_id);
        const streamed: CaseStreamEvent = { eventId: sequence, type: caseEventType(row.action), change: row.action, at: row.event_at, actor: row.actor, detail: row.detail, case: toCase(row) };
        return { sequence, caseId: row.case_id, cardId: row.card_id, json: JSON.stringify(streamed) };
      });
    },

    async latestEvent() {
      const [row] = await db.query<{ latest: string | number | null }>('SELECT max(id) AS latest FROM case_events');
      return Number(row?.latest ?? 0);
    },
  };
}
