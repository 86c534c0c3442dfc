import type { StoredAlert } from '../schemas.js';

/** SQL shared by the alert store and the case store. */

export const isoUtc = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The `StoredAlert` view of a row, built by the database (see `StoredAlert` in schemas.ts). An alert
 * stored before alerts had a decision and rule hits gets the event schema's defaults for them.
 */
const storedAlertJson = `(jsonb_build_object('decision', 'review', 'ruleHits', '[]'::jsonb) || (alert - 'schemaVersion') || jsonb_build_object(
    'sequence', sequence,
    'status', status,
    'caseId', case_id,
    'storedAt', ${isoUtc('stored_at')},
    'feedback', CASE WHEN status = 'open' OR feedback_at IS NULL THEN NULL
                ELSE jsonb_build_object('label', status, 'note', feedback_note, 'at', ${isoUtc('feedback_at')}) END
  ))::text`;

export const selectColumns = `sequence, (extract(epoch FROM detected_at) * 1000)::int8 AS detected_ms, ${storedAlertJson} AS json`;

export interface SelectedRow {
  sequence: string | number;
  detected_ms: string | number;
  json: string;
}

export const toStoredAlert = (row: SelectedRow): StoredAlert => JSON.parse(row.json) as StoredAlert;

/** Every change of alerts (and cases) takes this lock: sequences become visible in order. */
export const writeLock = `SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.alerts_write'))`;
