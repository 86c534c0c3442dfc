import { z } from 'zod';
import { BaseEnv, KafkaEnv } from '../config.js';
import { KafkaTopicName, topics } from '../topics.js';

const utcDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD (UTC)')
  // zod runs a refinement after a failed regex too: an unreadable text must not reach toISOString.
  .refine((text) => {
    const ms = Date.parse(`${text}T00:00:00Z`);
    return Number.isFinite(ms) && new Date(ms).toISOString().startsWith(text);
  }, { message: 'no such date' });

/** `true`/`false` (also 1/0, yes/no), as KAFKA_SSL reads it. */
const onOff = z.stringbool({ truthy: ['true', '1', 'yes'], falsy: ['false', '0', 'no'], error: 'expected true or false' });

/** Transactions per second of a simulation when neither PRODUCER_RATE nor PRODUCER_SPEED is set. */
export const SIMULATED_RATE = 100;

/**
 * Environment of the producer service (`services/producer`). Every variable has a command-line flag
 * (see `npm run producer -- --help`); a flag wins over its variable.
 */
export const ProducerEnv = BaseEnv.extend(KafkaEnv.shape).extend({
  /** Transactions per wall-clock second; 0 = as fast as the broker takes them. Default SIMULATED_RATE, or no cap when PRODUCER_SPEED is set. */
  PRODUCER_RATE: z.coerce.number().min(0).max(1_000_000).optional(),
  /** Simulated seconds per wall-clock second; unset = event time follows the rate. */
  PRODUCER_SPEED: z.coerce.number().positive().max(1e9).optional(),
  /** Days of history generated as fast as possible before going live. */
  PRODUCER_BACKFILL_DAYS: z.coerce.number().int().min(0).max(3_650).default(0),
  /** A fraud's chargeback label is published this long after the transaction, in event time. */
  PRODUCER_LABEL_DELAY_DAYS: z.coerce.number().min(0).max(365).default(7),
  PRODUCER_SEED: z.coerce.number().int().min(0).max(4_294_967_295).default(0),
  PRODUCER_CUSTOMERS: z.coerce.number().int().min(1).max(1_000_000).default(5_000),
  PRODUCER_TERMINALS: z.coerce.number().int().min(2).max(1_000_000).default(10_000),
  /** First simulated day (UTC). Default: today minus the backfill days, so live time starts today. */
  PRODUCER_START: utcDate.optional(),
  /**
   * First simulated day (UTC) of the drift: payments at or after its midnight drift as the two
   * variables below say. Needs one of them; not with PRODUCER_DRIFT_AFTER_DAYS (a flag for either wins
   * over both variables).
   */
  PRODUCER_DRIFT_AT: utcDate.optional(),
  /** The drift starts this many days after the first simulated day (0 = on it); the same setting as PRODUCER_DRIFT_AT. */
  PRODUCER_DRIFT_AFTER_DAYS: z.coerce.number().int().min(0).max(3_650).optional(),
  /** From the drift day on, every amount of the customers' payments is multiplied by this (labels unchanged). */
  PRODUCER_DRIFT_AMOUNT_FACTOR: z.coerce.number().positive().max(100).default(1),
  /** From the drift day on, a new fraud scenario: card testing (see CARD_TESTING_* in the simulator). */
  PRODUCER_DRIFT_SCENARIO: onOff.default(false),
  /** Stream this Handbook CSV instead of simulating. */
  PRODUCER_REPLAY_FILE: z.string().min(1).optional(),
  /** Stop after this many transactions. */
  PRODUCER_MAX_EVENTS: z.coerce.number().int().min(1).optional(),
  /** Stop after this many wall-clock seconds. */
  PRODUCER_DURATION_SECONDS: z.coerce.number().positive().optional(),
  /** Messages per produce request at most. */
  PRODUCER_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(1_000),
  PRODUCER_COMPRESSION: z.enum(['none', 'gzip']).default('none'),
  /** How often the throughput line is logged. */
  PRODUCER_STATS_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(5_000),
  TRANSACTIONS_TOPIC: KafkaTopicName.default(topics.transactions),
  LABELS_TOPIC: KafkaTopicName.default(topics.labels),
});
export type ProducerEnv = z.infer<typeof ProducerEnv>;
