import type { RuleHitCounts } from '@fraudstream/shared';
import type { Database } from './database.js';

/** One rule's figures over a window. */
export interface RuleHitWindow {
  hits: number;
  errors: number;
}

export interface RuleHitSummary {
  ruleId: string;
  /** The latest version seen counting, its mode and action then. */
  version: number;
  mode: 'active' | 'shadow';
  action: string;
  lastHour: RuleHitWindow;
  lastDay: RuleHitWindow;
}

export interface RuleHitTotals {
  payments: { lastHour: number; lastDay: number };
  rules: RuleHitSummary[];
}

/** The rule hit counts of the detectors (migration 3), per minute of detection. */
export interface RuleHitStore {
  /**
   * Adds the counts of consecutive messages of one partition, in one transaction with the partition's
   * next offset; messages below it were counted already and are skipped. Returns how many were added.
   */
  add(topic: string, partition: number, messages: Array<{ offset: string; counts: RuleHitCounts }>): Promise<number>;
  /** Every rule counted in the last day, with its last hour and last day. */
  totals(now: Date): Promise<RuleHitTotals>;
  /** Drops minutes before `before` (the page shows one day). */
  prune(before: Date): Promise<void>;
}

const minuteOf = (iso: string): string => `${iso.slice(0, 16)}:00Z`;

export function ruleHitStore(db: Database): RuleHitStore {
  return {
    add: (topic, partition, messages) =>
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO rule_hits_offsets (topic, partition, next_offset) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING', [topic, partition]);
        const [row] = await tx.query<{ next_offset: string }>('SELECT next_offset FROM rule_hits_offsets WHERE topic = $1 AND partition = $2 FOR UPDATE', [topic, partition]);
        const next = BigInt(row?.next_offset ?? 0);
        const fresh = messages.filter((message) => BigInt(message.offset) >= next);
        if (fresh.length === 0) return 0;
        // Summed here first: one upsert per rule and minute, not per message.
        const hits = new Map<string, { ruleId: string; version: number; mode: string; action: string; minute: string; hits: number; errors: number }>();
        const payments = new Map<string, number>();
        for (const { counts } of fresh) {
          const minute = minuteOf(counts.detectedAt);
          payments.set(minute, (payments.get(minute) ?? 0) + counts.payments);
          for (const rule of counts.rules) {
            const key = `${rule.ruleId}\u0000${rule.version}\u0000${rule.mode}\u0000${minute}`;
            const sum = hits.get(key) ?? { ruleId: rule.ruleId, version: rule.version, mode: rule.mode, action: rule.action, minute, hits: 0, errors: 0 };
            sum.hits += rule.hits;
            sum.errors += rule.errors;
            hits.set(key, sum);
          }
        }
        const rows = [...hits.values()];
        if (rows.length > 0) {
          await tx.query(
            `INSERT INTO rule_hits_minute (rule_id, version, mode, action, minute, hits, errors)
             SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(rule_id text, version integer, mode text, action text, minute timestamptz, hits bigint, errors bigint)
             ON CONFLICT (rule_id, version, mode, minute) DO UPDATE SET hits = rule_hits_minute.hits + EXCLUDED.hits, errors = rule_hits_minute.errors + EXCLUDED.errors, action = EXCLUDED.action`,
            [JSON.stringify(rows.map((r) => ({ rule_id: r.ruleId, version: r.version, mode: r.mode, action: r.action, minute: r.minute, hits: r.hits, errors: r.errors })))],
          );
        }
        await tx.query(
          `INSERT INTO rule_payments_minute (minute, payments)
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(minute timestamptz, payments bigint)
           ON CONFLICT (minute) DO UPDATE SET payments = rule_payments_minute.payments + EXCLUDED.payments`,
          [JSON.stringify([...payments.entries()].map(([minute, count]) => ({ minute, payments: count })))],
        );
        const last = fresh.reduce((max, message) => (BigInt(message.offset) > max ? BigInt(message.offset) : max), next);
        await tx.query('UPDATE rule_hits_offsets SET next_offset = $3 WHERE topic = $1 AND partition = $2', [topic, partition, (last + 1n).toString()]);
        return fresh.length;
      }),

    async totals(now) {
      const hour = new Date(now.getTime() - 3_600_000).toISOString();
      const day = new Date(now.getTime() - 86_400_000).toISOString();
      const rules = await db.query<{ rule_id: string; version: number; mode: 'active' | 'shadow'; action: string; hour_hits: string; hour_errors: string; day_hits: string; day_errors: string }>(
        `SELECT rule_id,
                (array_agg(version ORDER BY minute DESC, version DESC))[1] AS version,
                (array_agg(mode ORDER BY minute DESC, version DESC))[1] AS mode,
                (array_agg(action ORDER BY minute DESC, version DESC))[1] AS action,
                COALESCE(sum(hits) FILTER (WHERE minute >= $1), 0) AS hour_hits,
                COALESCE(sum(errors) FILTER (WHERE minute >= $1), 0) AS hour_errors,
                sum(hits) AS day_hits,
                sum(errors) AS day_errors
           FROM rule_hits_minute
          WHERE minute >= $2
          GROUP BY rule_id
          ORDER BY rule_id`,
        [hour, day],
      );
      const [payments] = await db.query<{ hour: string; day: string }>(
        `SELECT COALESCE(sum(payments) FILTER (WHERE minute >= $1), 0) AS hour, COALESCE(sum(payments), 0) AS day FROM rule_payments_minute WHERE minute >= $2`,
        [hour, day],
      );
      return {
        payments: { lastHour: Number(payments?.hour ?? 0), lastDay: Number(payments?.day ?? 0) },
        rules: rules.map((row) => ({
          ruleId: row.rule_id,
          version: Number(row.version),
          mode: row.mode,
          action: row.action,
          lastHour: { hits: Number(row.hour_hits), errors: Number(row.hour_errors) },
          lastDay: { hits: Number(row.day_hits), errors: Number(row.day_errors) },
        })),
      };
    },

    async prune(before) {
      await db.query('DELETE FROM rule_hits_minute WHERE minute < $1', [before.toISOString()]);
      await db.query('DELETE FROM rule_payments_minute WHERE minute < $1', [before.toISOString()]);
    },
  };
}
