import { z } from 'zod';
import { BaseEnv, KafkaEnv } from '../config.js';
import { DAY_MS, SECOND_MS } from '../durations.js';
import { KafkaTopicName, topics } from '../topics.js';

const token = z.string().min(16, 'expected a secret of at least 16 characters');

/** One origin as a browser sends it: scheme, host and port, no path. */
const origin = z.string().regex(/^https?:\/\/[^/\s?#]+$/, 'expected origins such as https://ops.example.com (scheme and host, no path)');

/** Environment of the alerts service (`services/alerts`). */
export const AlertsEnv = BaseEnv.extend(KafkaEnv.shape).extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface the HTTP server binds: this machine only unless set (0.0.0.0 in the containers). */
  HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Comma-separated origins whose pages may call the API from a browser (CORS), e.g.
   * https://ops.example.com,http://localhost:5173. Unset or empty: no cross-origin access.
   */
  ALERTS_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry.length > 0),
    )
    .pipe(z.array(origin)),
  /** A PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/fraudstream. Unset: embedded PGlite. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, message: 'expected a postgres:// or postgresql:// URL' }).optional(),
  /** Data directory of the embedded PGlite database, used when DATABASE_URL is not set. */
  PGLITE_DIR: z.string().min(1).default('.fraudstream/alerts-db'),
  /** Bearer token that analysts' feedback (POST /alerts/:id/feedback) must carry. */
  ALERTS_API_TOKEN: token,
  /** When set, every read (REST, stream, stats) needs this token or the API token. */
  ALERTS_READ_TOKEN: token.optional(),
  /** Rule and list management (/rules, /lists) needs this token, distinct from the analysts'; unset: off. */
  ALERTS_ADMIN_TOKEN: token.optional(),
  ALERTS_GROUP_ID: z.string().min(1).default('fraudstream-alerts'),
  /** The detectors' alerts, consumed into the store. */
  ALERTS_TOPIC: KafkaTopicName.default(topics.alerts),
  /** Where analysts' verdicts are published (the detectors read them as labels). */
  LABELS_TOPIC: KafkaTopicName.default(topics.labels),
  /** The rules the detectors apply (compacted), written by /rules. */
  RULES_TOPIC: KafkaTopicName.default(topics.rules),
  /** The named lists rules read (compacted), written by /lists. */
  LISTS_TOPIC: KafkaTopicName.default(topics.lists),
  /** The detectors' rule hit counts, kept per minute for GET /rule-hits. */
  RULE_HITS_TOPIC: KafkaTopicName.default(topics.ruleHits),
  /** Every score of the detectors, consumed into the payments store (model health, the case view); empty: no payments store. */
  SCORES_TOPIC: z.union([z.literal(''), KafkaTopicName]).default(topics.scores),
  /** Days of scored payments kept, counted back from the newest payment's day (one partition a day). */
  PAYMENTS_KEEP_DAYS: z.coerce.number().int().min(2).max(400).default(35),
  /** How long after a payment its label is final (the chargeback delay): a day is mature this long after it ended. */
  LABEL_DELAY_DAYS: z.coerce.number().min(0).max(90).default(7),
  /** The drift window: the last hours of event time compared with the model's training distribution. */
  MODEL_HEALTH_DRIFT_WINDOW_HOURS: z.coerce.number().min(1).max(24 * 30).default(24),
  /** A population stability index at or above this is a warning... */
  MODEL_HEALTH_PSI_WARN: z.coerce.number().positive().default(0.1),
  /** ...and at or above this an alert. */
  MODEL_HEALTH_PSI_ALERT: z.coerce.number().positive().default(0.25),
  /** Model health is computed again at most this often (and on this timer, for the gauges). */
  MODEL_HEALTH_REFRESH_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(30_000),
  /** The serving model's directory (as the detectors' MODEL_DIR): drift is measured against its training distribution. Unset: model/default. */
  MODEL_DIR: z.string().min(1).optional(),
  /** Live streams (GET /alerts/stream) open at once; more are answered 429. */
  ALERTS_MAX_STREAMS: z.coerce.number().int().min(1).default(1000),
  /** An analyst's label still waiting for Kafka after this long makes /readyz answer 503. */
  ALERTS_LABEL_MAX_PENDING_MS: z.coerce.number().int().min(SECOND_MS).max(DAY_MS).default(60 * SECOND_MS),
}).refine((env) => env.MODEL_HEALTH_PSI_WARN < env.MODEL_HEALTH_PSI_ALERT, {
  path: ['MODEL_HEALTH_PSI_WARN'],
  message: 'must be below MODEL_HEALTH_PSI_ALERT',
}).refine((env) => env.ALERTS_ADMIN_TOKEN === undefined || env.ALERTS_ADMIN_TOKEN !== env.ALERTS_API_TOKEN, {
  path: ['ALERTS_ADMIN_TOKEN'],
  message: 'must differ from ALERTS_API_TOKEN (an analyst must not be able to change the rules)',
});
export type AlertsEnv = z.infer<typeof AlertsEnv>;
