import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DAY_MS, envDefaults, FraudstreamError, isFraudstreamError, loadConfig, ProducerEnv, SIMULATED_RATE } from '@fraudstream/shared';
import { driftFor } from './drift.js';
import type { PacingOptions } from './schedule.js';
import { CARD_TESTING_AMOUNT, CARD_TESTING_PAYMENTS, CARD_TESTING_SHARE_PER_DAY, type SimulatorDrift } from './simulator/simulator.js';

const defaults = envDefaults(ProducerEnv);
const defaultOf = (variable: keyof typeof ProducerEnv.shape): string => defaults[variable]?.default ?? 'unset';

export const usage = `Usage: npm run producer -- [options]

Streams card transactions to Kafka (topic \`transactions\`, key = card id) and, for every fraud, a
chargeback label to \`fraud.labels\` --label-delay-days later in event time. Transactions come from the
Handbook simulator (default) or from a Handbook CSV (--replay). Every option can also be set by the
environment variable in brackets; a flag wins over its variable.

Pacing:
  --rate N               transactions per wall-clock second; 0 = as fast as the broker takes them
                         [PRODUCER_RATE] (default ${SIMULATED_RATE} when simulating, no cap with --speed or --replay)
  --as-fast-as-possible  the same as --rate 0
  --speed N              simulated seconds per wall-clock second: event time runs at this speed and
                         each transaction waits for its time (--rate, when given, still caps the
                         stream and holds the clock back) [PRODUCER_SPEED] (default: unset, event time
                         follows the rate)

Simulation:
  --backfill-days N      days of history sent as fast as possible before going live, so detectors
                         start with card and terminal history [PRODUCER_BACKFILL_DAYS] (default ${defaultOf('PRODUCER_BACKFILL_DAYS')})
  --start YYYY-MM-DD     first simulated day (UTC) [PRODUCER_START] (default: today minus the backfill
                         days, so live event time starts at today's midnight UTC)
  --seed N               random seed [PRODUCER_SEED] (default ${defaultOf('PRODUCER_SEED')})
  --customers N          [PRODUCER_CUSTOMERS] (default ${defaultOf('PRODUCER_CUSTOMERS')})
  --terminals N          [PRODUCER_TERMINALS] (default ${defaultOf('PRODUCER_TERMINALS')})

Drift (the simulated world changes from one day on, to watch feature drift and the model's quality):
  --drift-at YYYY-MM-DD  first simulated day (UTC) of the drift: payments at or after its midnight
                         drift [PRODUCER_DRIFT_AT]
  --drift-after-days N   the same as a number of days after the first simulated day (0 = on it), handy
                         when the start is computed [PRODUCER_DRIFT_AFTER_DAYS]. One of the two, not
                         both; a flag for either wins over both variables
  --drift-amount-factor F
                         every amount of the customers' payments is multiplied by F (> 0, rounded to
                         cents; labels stay as they were) [PRODUCER_DRIFT_AMOUNT_FACTOR] (default ${defaultOf('PRODUCER_DRIFT_AMOUNT_FACTOR')})
  --drift-scenario       a new fraud scenario, card testing: each day ${CARD_TESTING_SHARE_PER_DAY * 100} % of the cards (at least
                         one) make ${CARD_TESTING_PAYMENTS.min} to ${CARD_TESTING_PAYMENTS.max} payments of ${CARD_TESTING_AMOUNT.min} to ${CARD_TESTING_AMOUNT.max} within minutes, on terminals they never
                         use; all fraud, with chargebacks like the others (about 40 a day at 5,000
                         customers) [PRODUCER_DRIFT_SCENARIO] (default ${defaultOf('PRODUCER_DRIFT_SCENARIO')})
  A drift day needs the factor or the scenario, and they need a drift day. Not with --replay.

Labels:
  --label-delay-days D   chargeback delay in event time, exact [PRODUCER_LABEL_DELAY_DAYS] (default ${defaultOf('PRODUCER_LABEL_DELAY_DAYS')})

Replay:
  --replay FILE          stream a Handbook CSV (TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,
                         TX_AMOUNT,TX_FRAUD; sorted by time) instead of simulating; labels from TX_FRAUD
                         with the same delay. Bad rows are reported with their line number, skipped and
                         counted. At the end of the file the labels still pending are published at once
                         and the producer exits [PRODUCER_REPLAY_FILE]

Bounds (a stopped stream sends what it queued; labels not yet due are not sent):
  --max-events N         stop after N transactions [PRODUCER_MAX_EVENTS]
  --duration S           stop after S wall-clock seconds [PRODUCER_DURATION_SECONDS]

Kafka:
  --brokers LIST         host:port,... [KAFKA_BROKERS] (default ${defaultOf('KAFKA_BROKERS')})
  --transactions-topic T [TRANSACTIONS_TOPIC] (default ${defaultOf('TRANSACTIONS_TOPIC')})
  --labels-topic T       [LABELS_TOPIC] (default ${defaultOf('LABELS_TOPIC')})
  --batch-size N         messages per produce request at most [PRODUCER_BATCH_SIZE] (default ${defaultOf('PRODUCER_BATCH_SIZE')})
  --compression C        none or gzip [PRODUCER_COMPRESSION] (default ${defaultOf('PRODUCER_COMPRESSION')})
  --max-outage S         exit 1 once the broker has refused or not answered for S seconds in a row
                         [PRODUCER_MAX_OUTAGE_SECONDS] (default: wait for it forever; failed sends are
                         retried with a backoff from 100 ms up to 30 s, on a new producer when the
                         old one's idempotent session is lost)
  Topics missing on the broker are created with KAFKA_TOPIC_PARTITIONS partitions (default ${defaultOf('KAFKA_TOPIC_PARTITIONS')}).
  SSL/SASL: KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD.

Other:
  --stats-interval MS    how often a throughput line is logged [PRODUCER_STATS_INTERVAL_MS] (default ${defaultOf('PRODUCER_STATS_INTERVAL_MS')})
  --log-level L          fatal|error|warn|info|debug|trace|silent [LOG_LEVEL] (default ${defaultOf('LOG_LEVEL')})
  -h, --help             show this help

SIGTERM or SIGINT: stops, waits for what was sent to be acknowledged, logs the summary, exits 0.

Examples:
  npm run producer -- --backfill-days 14 --rate 50
  npm run producer -- --replay data.csv --as-fast-as-possible
  npm run producer -- --backfill-days 30 --drift-after-days 31 --drift-amount-factor 2 --drift-scenario`;

/** ProducerEnv and the variables read by this service alone. */
export const ProducerServiceEnv = ProducerEnv.extend({
  /** Exit non-zero once sends have failed for this many seconds in a row; unset = retry forever. */
  PRODUCER_MAX_OUTAGE_SECONDS: z.coerce.number().positive().optional(),
});
export type ProducerServiceEnv = z.infer<typeof ProducerServiceEnv>;

/** Each flag and the environment variable it sets. */
const flagVariables = {
  rate: 'PRODUCER_RATE',
  speed: 'PRODUCER_SPEED',
  'backfill-days': 'PRODUCER_BACKFILL_DAYS',
  start: 'PRODUCER_START',
  seed: 'PRODUCER_SEED',
  customers: 'PRODUCER_CUSTOMERS',
  terminals: 'PRODUCER_TERMINALS',
  'label-delay-days': 'PRODUCER_LABEL_DELAY_DAYS',
  'drift-at': 'PRODUCER_DRIFT_AT',
  'drift-after-days': 'PRODUCER_DRIFT_AFTER_DAYS',
  'drift-amount-factor': 'PRODUCER_DRIFT_AMOUNT_FACTOR',
  replay: 'PRODUCER_REPLAY_FILE',
  'max-events': 'PRODUCER_MAX_EVENTS',
  duration: 'PRODUCER_DURATION_SECONDS',
  brokers: 'KAFKA_BROKERS',
  'transactions-topic': 'TRANSACTIONS_TOPIC',
  'labels-topic': 'LABELS_TOPIC',
  'batch-size': 'PRODUCER_BATCH_SIZE',
  compression: 'PRODUCER_COMPRESSION',
  'stats-interval': 'PRODUCER_STATS_INTERVAL_MS',
  'max-outage': 'PRODUCER_MAX_OUTAGE_SECONDS',
  'log-level': 'LOG_LEVEL',
} as const;

/** Each flag without a value and the variable it sets to `true`. */
const switchVariables = {
  'drift-scenario': 'PRODUCER_DRIFT_SCENARIO',
} as const;

/**
 * The command line as environment variables (validated with the environment by ProducerServiceEnv), or
 * `help`. Unknown flags, positionals and flags without their value throw a FraudstreamError with code USAGE_INVALID.
 */
export function parseProducerArgs(args: string[]): { help: true } | { help: false; env: Record<string, string> } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.keys(flagVariables).map((flag) => [flag, { type: 'string' as const }])),
        ...Object.fromEntries(Object.keys(switchVariables).map((flag) => [flag, { type: 'boolean' as const }])),
        'as-fast-as-possible': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new FraudstreamError('USAGE_INVALID', (err as Error).message);
  }
  if (values['help'] === true) return { help: true };
  const env: Record<string, string> = {};
  for (const [flag, variable] of Object.entries(flagVariables)) {
    const value = values[flag];
    if (typeof value !== 'string') continue;
    if (value.trim() === '') throw new FraudstreamError('USAGE_INVALID', `Expected a value for --${flag}, got an empty string`);
    env[variable] = value;
  }
  for (const [flag, variable] of Object.entries(switchVariables)) if (values[flag] === true) env[variable] = 'true';
  if (values['as-fast-as-possible'] === true) {
    if (env['PRODUCER_RATE'] !== undefined && Number(env['PRODUCER_RATE']) !== 0) {
      throw new FraudstreamError('USAGE_INVALID', `--as-fast-as-possible contradicts --rate ${env['PRODUCER_RATE']}`);
    }
    env['PRODUCER_RATE'] = '0';
  }
  return { help: false, env };
}

/**
 * The environment with the command line's variables over it. PRODUCER_DRIFT_AT and
 * PRODUCER_DRIFT_AFTER_DAYS are one setting, the drift day, under two names: a flag for either
 * replaces both variables (two variables, like two flags, are refused).
 */
export function environmentWith(env: NodeJS.ProcessEnv, flags: Record<string, string>): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...env };
  if (flags['PRODUCER_DRIFT_AT'] !== undefined || flags['PRODUCER_DRIFT_AFTER_DAYS'] !== undefined) {
    delete merged['PRODUCER_DRIFT_AT'];
    delete merged['PRODUCER_DRIFT_AFTER_DAYS'];
  }
  return { ...merged, ...flags };
}

/** `PRODUCER_RATE: …` in a configuration error becomes `PRODUCER_RATE (--rate): …`. */
export function withFlagNames(message: string): string {
  let text = message;
  for (const [flag, variable] of [...Object.entries(flagVariables), ...Object.entries(switchVariables)]) text = text.replace(new RegExp(`\\b${variable}:`, 'g'), `${variable} (--${flag}):`);
  return text;
}

export interface ProducerPlan {
  pacing: PacingOptions;
  labelDelayMs: number;
  simulation?: { startMs: number; firstTransactionId: number; drift?: SimulatorDrift };
}

/**
 * Turns the configuration into a plan. Simulation: day 0 is `PRODUCER_START` or today's midnight
 * (UTC) minus the backfill days; live event time starts after the backfill days. Transaction ids
 * count from the start's day number × 10^7, so runs starting on different days do not reuse ids.
 * Throws a FraudstreamError with code USAGE_INVALID when the drift options do not make one drift
 * (see driftFor) or come with a replay.
 */
export function planFor(config: ProducerEnv, nowMs: number): ProducerPlan {
  const labelDelayMs = Math.round(config.PRODUCER_LABEL_DELAY_DAYS * DAY_MS);
  const speed = config.PRODUCER_SPEED;
  const replay = config.PRODUCER_REPLAY_FILE !== undefined;
  const rate = config.PRODUCER_RATE ?? (speed !== undefined || replay ? 0 : SIMULATED_RATE);
  const pacingBase = { rate, ...(speed === undefined ? {} : { speed }) };
  if (replay) {
    const drifting =
      config.PRODUCER_DRIFT_AT !== undefined ||
      config.PRODUCER_DRIFT_AFTER_DAYS !== undefined ||
      config.PRODUCER_DRIFT_AMOUNT_FACTOR !== 1 ||
      config.PRODUCER_DRIFT_SCENARIO;
    if (drifting) throw new FraudstreamError('USAGE_INVALID', 'Expected no drift option with --replay: a drift changes the simulation, a replay streams its file as it is');
    return { pacing: { ...pacingBase, liveFromMs: Number.NEGATIVE_INFINITY }, labelDelayMs };
  }
  const startMs =
    config.PRODUCER_START !== undefined
      ? Date.parse(`${config.PRODUCER_START}T00:00:00Z`)
      : Math.floor(nowMs / DAY_MS) * DAY_MS - config.PRODUCER_BACKFILL_DAYS * DAY_MS;
  const drift = driftFor(
    {
      at: config.PRODUCER_DRIFT_AT,
      afterDays: config.PRODUCER_DRIFT_AFTER_DAYS,
      amountFactor: config.PRODUCER_DRIFT_AMOUNT_FACTOR,
      cardTesting: config.PRODUCER_DRIFT_SCENARIO,
    },
    startMs,
  );
  return {
    pacing: { ...pacingBase, liveFromMs: startMs + config.PRODUCER_BACKFILL_DAYS * DAY_MS },
    labelDelayMs,
    simulation: { startMs, firstTransactionId: (startMs / DAY_MS) * 10_000_000, drift },
  };
}

/** What the producer runs with, or what it prints instead: `--help`'s usage, or a usage error (then exits 2). */
export type ProducerSettings =
  | { outcome: 'help'; text: string }
  | { outcome: 'invalid'; message: string; text: string }
  | { outcome: 'run'; config: ProducerServiceEnv; plan: ProducerPlan };

/**
 * The command line over `env`, validated, and its plan at `nowMs`. A usage or configuration error
 * becomes `invalid`, with the message (flags named beside their variables) and the message followed by
 * the usage; any other error is thrown.
 */
export function producerSettings(args: string[], env: NodeJS.ProcessEnv, nowMs: number): ProducerSettings {
  try {
    const parsed = parseProducerArgs(args);
    if (parsed.help) return { outcome: 'help', text: usage };
    const config = loadConfig(ProducerServiceEnv, environmentWith(env, parsed.env));
    if (config.PRODUCER_REPLAY_FILE !== undefined && !existsSync(config.PRODUCER_REPLAY_FILE)) {
      throw new FraudstreamError('USAGE_INVALID', `Expected --replay to name a CSV file, got ${JSON.stringify(config.PRODUCER_REPLAY_FILE)} (no such file)`);
    }
    return { outcome: 'run', config, plan: planFor(config, nowMs) };
  } catch (err) {
    if (!isFraudstreamError(err, 'USAGE_INVALID') && !isFraudstreamError(err, 'CONFIG_INVALID')) throw err;
    const message = withFlagNames(err.message);
    return { outcome: 'invalid', message, text: `${message}\n\n${usage}` };
  }
}
