import { encode, type Label } from '@fraudstream/shared';
import type { Queryable } from './database.js';

/** A label recorded with its verdict and not yet acknowledged by Kafka. */
export interface PendingLabel {
  /** Outbox order: the order the verdicts were committed in. */
  id: number;
  transactionId: string;
  /** The message key on fraud.labels. */
  cardId: string;
  /** The encoded Label, sent as it is. */
  message: string;
}

export interface LabelBacklog {
  pending: number;
  /** How long the oldest pending label has waited, by the database's clock; null when none is pending. */
  oldestAgeMs: number | null;
}

/** The outbox table of the alert store (migration 2): what the label publisher (outbox.ts) reads and clears. */
export interface LabelOutboxStore {
  /** The oldest pending labels, oldest first. */
  pending(limit: number): Promise<PendingLabel[]>;
  /** Deletes labels Kafka has acknowledged. */
  remove(ids: readonly number[]): Promise<void>;
  backlog(): Promise<LabelBacklog>;
  /**
   * Takes or renews the publisher lease for `ms`: true when `owner` holds it now. Free when it has
   * expired or was released; several replicas on one database take turns through it.
   */
  takeLease(owner: string, ms: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it, so another replica can publish at once. */
  releaseLease(owner: string): Promise<void>;
}

/** Queues `label` in the caller's transaction: it exists exactly when the verdict that made it was committed. */
export async function enqueueLabel(tx: Queryable, label: Label): Promise<void> {
  await tx.query('INSERT INTO label_outbox (transaction_id, card_id, message) VALUES ($1, $2, $3)', [
    label.transactionId,
    label.cardId,
    encode(label).toString('utf8'),
  ]);
}

export function labelOutboxStore(db: Queryable): LabelOutboxStore {
  return {
    async pending(limit) {
      const rows = await db.query<{ id: string | number; transaction_id: string; card_id: string; message: string }>(
        'SELECT id, transaction_id, card_id, message FROM label_outbox ORDER BY id LIMIT $1',
        [limit],
      );
      return rows.map((row) => ({ id: Number(row.id), transactionId: row.transaction_id, cardId: row.card_id, message: row.message }));
    },
    async remove(ids) {
      if (ids.length === 0) return;
      await db.query('DELETE FROM label_outbox WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)', [
        JSON.stringify(ids),
      ]);
    },
    async backlog() {
      const [row] = await db.query<{ pending: string | number; oldest_age_ms: string | number | null }>(
        `SELECT count(*) AS pending, (extract(epoch FROM clock_timestamp() - min(created_at)) * 1000)::float8 AS oldest_age_ms
         FROM label_outbox`,
      );
      const pending = Number(row?.pending ?? 0);
      return { pending, oldestAgeMs: pending === 0 || row?.oldest_age_ms == null ? null : Math.max(0, Number(row.oldest_age_ms)) };
    },
    async takeLease(owner, ms) {
      const rows = await db.query<{ owner: string }>(
        `UPDATE label_outbox_lease SET owner = $1, expires_at = clock_timestamp() + $2::float8 * interval '1 millisecond'
         WHERE owner = $1 OR expires_at <= clock_timestamp() RETURNING owner`,
        [owner, ms],
      );
      return rows.length === 1;
    },
    async releaseLease(owner) {
      await db.query(`UPDATE label_outbox_lease SET expires_at = '-infinity' WHERE owner = $1`, [owner]);
    },
  };
}
