import type { Label, ScoredTransaction } from '@fraudstream/shared';
import type { Database, Queryable } from './database.js';

const DAY_MS = 86_400_000;

/** A day's counts for one model version (or the challenger's version) on the payments it scored. */
export interface DayCounts {
  day: string;
  modelVersion: string;
  payments: number;
  alerts: number;
  frauds: number;
  truePositives: number;
}

/** One card on one day: its highest score and whether any of its payments that day is a known fraud. */
export interface CardDay {
  day: string;
  modelVersion: string;
  card: string;
  score: number;
  fraud: boolean;
}

/** A day's figures for one active rule: payments it matched, how many of them are known frauds. */
export interface RuleDayCounts {
  day: string;
  ruleId: string;
  hits: number;
  truePositives: number;
}

export type ModelRole = 'champion' | 'challenger';

/** How far the two streams have come, in event time. */
export interface Watermarks {
  /** The newest stored payment's event time. */
  payments: Date | null;
  /** The newest chargeback's label time: the days it matured are final. */
  chargebacks: Date | null;
}

/** The scored payments of the last days (migration 4), partitioned by UTC day of event time, and their labels. */
export interface PaymentStore {
  /** Stores scores idempotently (a payment already stored is skipped); returns how many were new. Days older than the kept ones are skipped and counted as `tooOld`. */
  addScores(scores: readonly ScoredTransaction[]): Promise<{ inserted: number; tooOld: number }>;
  /** Upserts labels: the one with the latest `labeledAt` wins. Returns how many changed a stored label. */
  addLabels(labels: readonly Label[]): Promise<number>;
  watermarks(): Promise<Watermarks>;
  /** Per day and model version, from `fromDay` on, for the champion's scores or the challenger's. */
  dayCounts(fromDay: string, role: ModelRole): Promise<DayCounts[]>;
  /** Per day, model version and card, from `fromDay` on (card precision@k). */
  cardDays(fromDay: string, role: ModelRole): Promise<CardDay[]>;
  ruleDayCounts(fromDay: string): Promise<RuleDayCounts[]>;
  /**
   * How many payments in [from, to) fall in each bin of `edges` (bin i: [edges[i−1], edges[i])), of
   * feature `column` (0-based, FEATURE_NAMES order) or of the champion's score. Counted by the
   * database: nothing but the counts leaves it.
   */
  binCounts(value: { feature: number } | 'score', edges: readonly number[], from: Date, to: Date): Promise<number[]>;
  /** The champion's score quantiles over [from, to) (empty when there is no payment). */
  scoreQuantiles(quantiles: readonly number[], from: Date, to: Date): Promise<number[]>;
  /** Drops the days before the newest stored day − `keepDays` + 1, and their labels. Returns the dropped days. */
  prune(keepDays: number): Promise<string[]>;
  /** The stored days, oldest first. */
  days(): Promise<string[]>;
}

const partitionName = (day: string): string => `payments_p${day.replaceAll('-', '')}`;
const dayOfPartition = (name: string): string => `${name.slice(10, 14)}-${name.slice(14, 16)}-${name.slice(16, 18)}`;
const nextDay = (day: string): string => new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
/** Parameters of an event-time range, with the day bounds that let the planner skip partitions. */
const range = (from: Date, to: Date): string[] => [from.toISOString(), to.toISOString(), from.toISOString().slice(0, 10), to.toISOString().slice(0, 10)];
const toDate = (value: unknown): Date | null => (value === null || value === undefined ? null : new Date(value as string));

export function paymentStore(db: Database, options: { keepDays: number }): PaymentStore {
  /** Days with a partition, as far as this process knows (refreshed from the catalogue when a day is missing). */
  let known: Set<string> | undefined;

  const listDays = async (q: Queryable = db): Promise<string[]> => {
    const rows = await q.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'payments'::regclass`,
    );
    return rows.map((row) => dayOfPartition(row.name)).sort();
  };

  /** Creates the partitions of `days` that do not exist; replicas take an advisory lock for it. */
  const ensurePartitions = async (days: string[]): Promise<void> => {
    known ??= new Set(await listDays());
    const missing = days.filter((day) => !known!.has(day));
    if (missing.length === 0) return;
    await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.payments_partitions'))`);
      for (const day of missing) {
        // A fixed-format date (checked by the caller), so the identifier and literals are safe to inline.
        await tx.query(`CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF payments FOR VALUES FROM ('${day}') TO ('${nextDay(day)}')`);
      }
    });
    for (const day of missing) known.add(day);
  };

  const firstKeptDay = (newest: string, keepDays: number): string =>
    new Date(Date.parse(`${newest}T00:00:00Z`) - (keepDays - 1) * DAY_MS).toISOString().slice(0, 10);

  const scoreColumn = (role: ModelRole) => (role === 'champion' ? { score: 'p.score', flagged: 'p.flagged', version: 'p.model_version' } : { score: 'p.challenger_score', flagged: 'p.challenger_flagged', version: 'p.challenger_version' });

  const labelled = `payments p LEFT JOIN payment_labels l ON l.card_id = p.card_id AND l.transaction_id = p.transaction_id`;

  return {
    async addScores(scores) {
      if (scores.length === 0) return { inserted: 0, tooOld: 0 };
      const byDay = new Map<string, ScoredTransaction[]>();
      for (const score of scores) {
        const day = score.timestamp.slice(0, 10);
        const scoresOfDay = byDay.get(day);
        if (scoresOfDay) scoresOfDay.push(score);
        else byDay.set(day, [score]);
      }
      const days = [...byDay.keys()].filter((day) => /^\d{4}-\d{2}-\d{2}$/.test(day));
      known ??= new Set(await listDays());
      const newest = [...known, ...days].reduce((max, day) => (day > max ? day : max), '');
      const kept = days.filter((day) => day >= firstKeptDay(newest, options.keepDays));
      await ensurePartitions(kept);
      const rows = kept.flatMap((day) =>
        (byDay.get(day) ?? []).map(({ features, ...payment }) => ({
          day,
          card_id: payment.cardId,
          transaction_id: payment.transactionId,
          event_time: payment.timestamp,
          terminal_id: payment.terminalId ?? null,
          amount: payment.amount ?? null,
          score: payment.score,
          flagged: payment.flagged,
          model_version: payment.modelVersion,
          challenger_version: payment.challenger?.modelVersion ?? null,
          challenger_score: payment.challenger?.score ?? null,
          challenger_flagged: payment.challenger?.flagged ?? null,
          rule_ids: (payment.ruleHits ?? []).map((hit) => hit.ruleId),
          features: features ?? null,
          payment,
        })),
      );
      const result = await db.query<{ inserted: string }>(
        `WITH inserted AS (
           INSERT INTO payments (day, card_id, transaction_id, event_time, terminal_id, amount, score, flagged, model_version,
                                 challenger_version, challenger_score, challenger_flagged, rule_ids, features, payment)
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(day date, card_id text, transaction_id text, event_time timestamptz,
                  terminal_id text, amount double precision, score real, flagged boolean, model_version text, challenger_version text,
                  challenger_score real, challenger_flagged boolean, rule_ids text[], features real[], payment jsonb)
           ON CONFLICT DO NOTHING
           RETURNING 1)
         SELECT count(*) AS inserted FROM inserted`,
        [JSON.stringify(rows)],
      );
      return { inserted: Number(result[0]?.inserted ?? 0), tooOld: scores.length - rows.length };
    },

    async addLabels(labels) {
      if (labels.length === 0) return 0;
      // The latest verdict per payment within the batch first: one row may not be updated twice by one statement.
      const latest = new Map<string, Label>();
      for (const label of labels) {
        const key = `${label.cardId}\u0000${label.transactionId}`;
        const seen = latest.get(key);
        if (seen === undefined || label.labeledAt >= seen.labeledAt) latest.set(key, label);
      }
      const rows = [...latest.values()].map((label) => ({
        card_id: label.cardId,
        transaction_id: label.transactionId,
        fraud: label.fraud,
        source: label.source,
        labeled_at: label.labeledAt,
        transaction_time: label.transactionTimestamp,
      }));
      const result = await db.query<{ changed: string }>(
        `WITH changed AS (
           INSERT INTO payment_labels (card_id, transaction_id, fraud, source, labeled_at, transaction_time)
           SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(card_id text, transaction_id text, fraud boolean, source text, labeled_at timestamptz, transaction_time timestamptz)
           ON CONFLICT (card_id, transaction_id) DO UPDATE
             SET fraud = EXCLUDED.fraud, source = EXCLUDED.source, labeled_at = EXCLUDED.labeled_at, transaction_time = EXCLUDED.transaction_time
             WHERE EXCLUDED.labeled_at >= payment_labels.labeled_at
           RETURNING 1)
         SELECT count(*) AS changed FROM changed`,
        [JSON.stringify(rows)],
      );
      return Number(result[0]?.changed ?? 0);
    },

    async watermarks() {
      const [row] = await db.query<{ payments: string | null; chargebacks: string | null }>(
        `SELECT (SELECT max(event_time) FROM payments) AS payments,
                (SELECT max(labeled_at) FROM payment_labels WHERE source = 'chargeback') AS chargebacks`,
      );
      return { payments: toDate(row?.payments), chargebacks: toDate(row?.chargebacks) };
    },

    async dayCounts(fromDay, role) {
      const c = scoreColumn(role);
      const rows = await db.query<{ day: string; version: string; payments: string; alerts: string; frauds: string; true_positives: string }>(
        `SELECT p.day::text AS day, ${c.version} AS version, count(*) AS payments,
                count(*) FILTER (WHERE ${c.flagged}) AS alerts,
                count(*) FILTER (WHERE l.fraud) AS frauds,
                count(*) FILTER (WHERE ${c.flagged} AND l.fraud) AS true_positives
           FROM ${labelled}
          WHERE p.day >= $1 AND ${c.version} IS NOT NULL
          GROUP BY 1, 2
          ORDER BY 1, 2`,
        [fromDay],
      );
      return rows.map((row) => ({
        day: row.day,
        modelVersion: row.version,
        payments: Number(row.payments),
        alerts: Number(row.alerts),
        frauds: Number(row.frauds),
        truePositives: Number(row.true_positives),
      }));
    },

    async cardDays(fromDay, role) {
      const c = scoreColumn(role);
      const rows = await db.query<{ day: string; version: string; card: string; score: number; fraud: boolean }>(
        `SELECT p.day::text AS day, ${c.version} AS version, p.card_id AS card, max(${c.score}) AS score, COALESCE(bool_or(l.fraud), false) AS fraud
           FROM ${labelled}
          WHERE p.day >= $1 AND ${c.version} IS NOT NULL
          GROUP BY 1, 2, 3`,
        [fromDay],
      );
      return rows.map((row) => ({ day: row.day, modelVersion: row.version, card: row.card, score: Number(row.score), fraud: row.fraud === true }));
    },

    async ruleDayCounts(fromDay) {
      const rows = await db.query<{ day: string; rule_id: string; hits: string; true_positives: string }>(
        `SELECT p.day::text AS day, r.rule_id, count(*) AS hits, count(*) FILTER (WHERE l.fraud) AS true_positives
           FROM ${labelled}, unnest(p.rule_ids) AS r(rule_id)
          WHERE p.day >= $1
          GROUP BY 1, 2
          ORDER BY 1, 2`,
        [fromDay],
      );
      return rows.map((row) => ({ day: row.day, ruleId: row.rule_id, hits: Number(row.hits), truePositives: Number(row.true_positives) }));
    },

    async binCounts(value, edges, from, to) {
      // features is 1-based in SQL; a row scored without features (or with fewer) counts in no bin.
      const operand = value === 'score' ? 'score' : `features[${Number(value.feature) + 1}]`;
      const rows = await db.query<{ bin: number; count: string }>(
        `SELECT width_bucket(${operand}::float8, $1::float8[]) AS bin, count(*) AS count
           FROM payments
          WHERE event_time >= $2 AND event_time < $3 AND day >= $4::date AND day <= $5::date AND ${operand} IS NOT NULL
          GROUP BY 1`,
        [edges.length === 0 ? '{}' : `{${edges.join(',')}}`, ...range(from, to)],
      );
      const counts = new Array<number>(edges.length + 1).fill(0);
      for (const row of rows) counts[Number(row.bin)] = Number(row.count);
      return counts;
    },

    async scoreQuantiles(quantiles, from, to) {
      const [row] = await db.query<{ quantiles: number[] | null }>(
        `SELECT percentile_disc($1::float8[]) WITHIN GROUP (ORDER BY score::float8) AS quantiles
           FROM payments WHERE event_time >= $2 AND event_time < $3 AND day >= $4::date AND day <= $5::date`,
        [`{${quantiles.join(',')}}`, ...range(from, to)],
      );
      return (row?.quantiles ?? []).map(Number);
    },

    async prune(keepDays) {
      const days = await listDays();
      known = new Set(days);
      const newest = days.at(-1);
      if (newest === undefined) return [];
      const first = firstKeptDay(newest, keepDays);
      const dropped = days.filter((day) => day < first);
      await db.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.payments_partitions'))`);
        for (const day of dropped) await tx.query(`DROP TABLE IF EXISTS ${partitionName(day)}`);
        await tx.query('DELETE FROM payment_labels WHERE transaction_time < $1', [`${first}T00:00:00Z`]);
      });
      for (const day of dropped) known.delete(day);
      return dropped;
    },

    days: () => listDays(),
  };
}
