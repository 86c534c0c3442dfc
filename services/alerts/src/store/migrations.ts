import type { Database } from './database.js';

/**
 * The alert store's schema, one entry per version. Applied in order at start-up; an applied
 * version is never edited, a change is a new version.
 */
export const migrations: ReadonlyArray<{ version: number; name: string; statements: string[] }> = [
  {
    version: 1,
    name: 'alerts table and query indexes',
    statements: [
      `CREATE TABLE alerts (
         sequence     bigserial PRIMARY KEY,
         alert_id     uuid NOT NULL UNIQUE,
         card_id      text NOT NULL,
         terminal_id  text NOT NULL,
         score        double precision NOT NULL,
         model_version text NOT NULL,
         detected_at  timestamptz NOT NULL,
         stored_at    timestamptz NOT NULL DEFAULT now(),
         status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'fraud', 'legit')),
         feedback_note text,
         feedback_at  timestamptz,
         alert        jsonb NOT NULL
       )`,
      // Every list query orders by (detected_at, sequence) newest first; each filter gets an index
      // that also serves that order, so a page is an index range scan.
      'CREATE INDEX alerts_detected_idx ON alerts (detected_at DESC, sequence DESC)',
      'CREATE INDEX alerts_card_idx ON alerts (card_id, detected_at DESC, sequence DESC)',
      'CREATE INDEX alerts_terminal_idx ON alerts (terminal_id, detected_at DESC, sequence DESC)',
      'CREATE INDEX alerts_status_idx ON alerts (status, detected_at DESC, sequence DESC)',
      'CREATE INDEX alerts_score_idx ON alerts (score DESC)',
    ],
  },
  {
    version: 2,
    name: 'label outbox and its publisher lease',
    statements: [
      // A verdict's Label, written in the transaction that records the verdict and deleted once Kafka
      // acknowledged it on fraud.labels. `message` is the encoded Label, sent as it is, keyed by `card_id`.
      `CREATE TABLE label_outbox (
         id             bigserial PRIMARY KEY,
         transaction_id text NOT NULL,
         card_id        text NOT NULL,
         message        text NOT NULL,
         created_at     timestamptz NOT NULL DEFAULT now()
       )`,
      // One row: which replica publishes the outbox, until when. One publisher at a time keeps labels
      // in the order they were recorded across replicas.
      `CREATE TABLE label_outbox_lease (
         singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
         owner      text NOT NULL,
         expires_at timestamptz NOT NULL
       )`,
      `INSERT INTO label_outbox_lease (owner, expires_at) VALUES ('', '-infinity')`,
    ],
  },
  {
    version: 3,
    name: 'rule hits per minute',
    statements: [
      // The detectors' hit counts (fraud.rule-hits) summed per rule, version and minute of detection.
      `CREATE TABLE rule_hits_minute (
         rule_id  text NOT NULL,
         version  integer NOT NULL,
         mode     text NOT NULL,
         action   text NOT NULL,
         minute   timestamptz NOT NULL,
         hits     bigint NOT NULL,
         errors   bigint NOT NULL,
         PRIMARY KEY (rule_id, version, mode, minute)
       )`,
      'CREATE INDEX rule_hits_minute_idx ON rule_hits_minute (minute)',
      // Payments the rules were evaluated on, per minute: the denominator of a hit rate.
      `CREATE TABLE rule_payments_minute (
         minute   timestamptz PRIMARY KEY,
         payments bigint NOT NULL
       )`,
      // The next offset to count per partition of the topic, moved in the transaction that adds the
      // counts: a batch delivered again after a crash is not counted twice.
      `CREATE TABLE rule_hits_offsets (
         topic     text NOT NULL,
         partition integer NOT NULL,
         next_offset bigint NOT NULL,
         PRIMARY KEY (topic, partition)
       )`,
    ],
  },
  {
    version: 4,
    name: 'scored payments by day and their labels',
    statements: [
      // Every scored payment (fraud.scores) of the last days, one partition per UTC day of event time:
      // model health (quality per day, drift) and the case view read it; old days are dropped whole.
      `CREATE TABLE payments (
         day                date NOT NULL,
         card_id            text NOT NULL,
         transaction_id     text NOT NULL,
         event_time         timestamptz NOT NULL,
         terminal_id        text,
         amount             double precision,
         score              real NOT NULL,
         flagged            boolean NOT NULL,
         model_version      text NOT NULL,
         challenger_version text,
         challenger_score   real,
         challenger_flagged boolean,
         rule_ids           text[] NOT NULL DEFAULT '{}',
         features           real[],
         payment            jsonb NOT NULL,
         PRIMARY KEY (day, card_id, transaction_id)
       ) PARTITION BY RANGE (day)`,
      'CREATE INDEX payments_card_idx ON payments (card_id, event_time DESC)',
      'CREATE INDEX payments_time_idx ON payments (event_time)',
      // The latest verdict on a payment (fraud.labels: chargebacks and analysts), whether or not the
      // payment is stored (a label may come before its score, or after its day was dropped).
      `CREATE TABLE payment_labels (
         card_id          text NOT NULL,
         transaction_id   text NOT NULL,
         fraud            boolean NOT NULL,
         source           text NOT NULL,
         labeled_at       timestamptz NOT NULL,
         transaction_time timestamptz NOT NULL,
         PRIMARY KEY (card_id, transaction_id)
       )`,
      'CREATE INDEX payment_labels_time_idx ON payment_labels (transaction_time)',
      'CREATE INDEX payment_labels_chargeback_idx ON payment_labels (labeled_at) WHERE source = \'chargeback\'',
    ],
  },
  {
    version: 5,
    name: 'cases: the alerts of a card, decided together',
    statements: [
      // One open case per card at most (the partial unique index); its figures are kept up to date by
      // the statements that add alerts to it or decide them, in their transaction.
      `CREATE TABLE cases (
         case_id          uuid PRIMARY KEY,
         card_id          text NOT NULL,
         status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided')),
         opened_at        timestamptz NOT NULL DEFAULT now(),
         updated_at       timestamptz NOT NULL DEFAULT now(),
         alert_count      integer NOT NULL,
         open_alert_count integer NOT NULL,
         max_score        double precision NOT NULL,
         amount_at_risk   double precision NOT NULL,
         currency         text,
         blocks           integer NOT NULL,
         first_alert_at   timestamptz NOT NULL,
         last_alert_at    timestamptz NOT NULL,
         priority         double precision GENERATED ALWAYS AS
                            (max_score + CASE WHEN blocks > 0 THEN 1 ELSE 0 END + least(1.0, amount_at_risk / 1000.0) * 0.5) STORED,
         assignee         text,
         decision_label   text CHECK (decision_label IN ('fraud', 'legit')),
         decision_note    text,
         decided_by       text,
         decided_at       timestamptz
       )`,
      `CREATE UNIQUE INDEX cases_open_card_idx ON cases (card_id) WHERE status = 'open'`,
      'CREATE INDEX cases_priority_idx ON cases (status, priority DESC, case_id)',
      'CREATE INDEX cases_age_idx ON cases (status, opened_at, case_id)',
      'ALTER TABLE alerts ADD COLUMN case_id uuid',
      'CREATE INDEX alerts_case_idx ON alerts (case_id, detected_at DESC)',
      // Who did what to a case, when: the audit trail.
      `CREATE TABLE case_events (
         id      bigserial PRIMARY KEY,
         case_id uuid NOT NULL,
         at      timestamptz NOT NULL DEFAULT now(),
         actor   text NOT NULL,
         action  text NOT NULL,
         detail  jsonb NOT NULL DEFAULT '{}'::jsonb
       )`,
      'CREATE INDEX case_events_case_idx ON case_events (case_id, id)',
      // The open alerts stored before cases: one case per card.
      `INSERT INTO cases (case_id, card_id, opened_at, updated_at, alert_count, open_alert_count, max_score, amount_at_risk, currency, blocks, first_alert_at, last_alert_at)
       SELECT gen_random_uuid(), card_id, min(stored_at), max(stored_at), count(*), count(*), max(score),
              COALESCE(sum((alert->'transaction'->>'amount')::double precision), 0), min(alert->'transaction'->>'currency'),
              count(*) FILTER (WHERE alert->>'decision' = 'block'),
              min((alert->'transaction'->>'timestamp')::timestamptz), max((alert->'transaction'->>'timestamp')::timestamptz)
         FROM alerts WHERE status = 'open' GROUP BY card_id`,
      `UPDATE alerts SET case_id = cases.case_id FROM cases WHERE alerts.card_id = cases.card_id AND alerts.status = 'open'`,
      `INSERT INTO case_events (case_id, at, actor, action, detail) SELECT case_id, opened_at, 'migration', 'opened', jsonb_build_object('alerts', alert_count) FROM cases`,
    ],
  },
];

/** Applies the migrations not applied yet; concurrent replicas wait for each other on an advisory lock. */
export async function migrate(db: Database): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.alerts_schema_migrations'))`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS alerts_schema_migrations (
         version    integer PRIMARY KEY,
         name       text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const rows = await tx.query<{ version: number }>('SELECT version FROM alerts_schema_migrations');
    const applied = new Set(rows.map((row) => Number(row.version)));
    const newlyApplied: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query('INSERT INTO alerts_schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      newlyApplied.push(migration.version);
    }
    return newlyApplied;
  });
}
