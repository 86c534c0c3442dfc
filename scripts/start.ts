/**
 * `npm start`: the whole system on this machine without Docker — Kafka, the alerts service and its
 * dashboard, the detector(s) and the producer — with a live status line. Ctrl-C stops it all.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { createLogger, createShutdown, loadConfig, LogLevel } from '@fraudstream/shared';
import { producerSettings } from '@fraudstream/producer/options';
import { repoRoot } from './start/processes.js';
import { portIsFree, startSystem, type RunningSystem } from './start/system.js';
import { statusLine, type SystemSnapshot } from './start/status.js';

const usage = `Usage: npm start [-- options]

Starts fraudstream on this machine, without Docker, each part as a child process:
  1. Apache Kafka: the project's local broker on 127.0.0.1:9092 (another port if taken),
     unless KAFKA_BROKERS names a running cluster; then the topics;
  2. the alerts service with its dashboard, on an embedded PGlite database unless DATABASE_URL;
  3. the detector (one, with in-memory features; more with --detectors N and REDIS_URL);
  4. the producer: a few days of simulated history first (backfill), then live transactions.
Prints the dashboard's address and a status line. Ctrl-C stops everything in order
(producer, detectors, alerts, Kafka) and leaves no process behind.

  --detectors N         detector replicas (default 1; more than 1 needs REDIS_URL)
  --port N              port of the alerts service and dashboard (default 3000)
  --backfill-days N     days of simulated history sent before going live (default 60: enough
                        to retrain on, see the README)
  --rate N              live transactions per second (default 50; a replay goes as fast as it can)
  --replay FILE         stream a Handbook CSV instead of simulating
  --drift-at YYYY-MM-DD the simulated world drifts from that day (UTC) on, to watch feature drift
                        and the model's quality change
  --drift-after-days N  or from N days after the first simulated day (one of the two): 61 is a
                        simulated day into the live stream, about 3 minutes after it starts
  --drift-amount-factor F
                        from the drift day on, every amount is multiplied by F
  --drift-scenario      from the drift day on, a new fraud scenario: card testing
                        (the four are the producer's: npm run producer -- --help)
  --state-dir DIR       logs, Kafka data and the alerts database (default .fraudstream);
                        each start begins from empty topics and an empty database
  -h, --help            show this help

Environment: KAFKA_BROKERS, REDIS_URL, DATABASE_URL, ALERTS_API_TOKEN and ALERTS_ADMIN_TOKEN (default:
random tokens kept in <state-dir>/alerts-api-token and admin-api-token), LOG_LEVEL of the services (default info; their logs are in <state-dir>/logs).`;

const StartEnv = z.object({
  LOG_LEVEL: LogLevel.default('info'),
  KAFKA_BROKERS: z.string().min(1).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/, message: 'expected a redis:// or rediss:// URL' }).optional(),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, message: 'expected a postgres:// or postgresql:// URL' }).optional(),
  ALERTS_API_TOKEN: z.string().min(16, 'expected a secret of at least 16 characters').optional(),
  ALERTS_ADMIN_TOKEN: z.string().min(16, 'expected a secret of at least 16 characters').optional(),
});

function fail(message: string): void {
  console.error(`${message}\n\n${usage}`);
  process.exitCode = 2;
}

function positiveInteger(name: string, text: string | undefined, fallback: number, max: number): number | string {
  if (text === undefined) return fallback;
  const value = Number(text);
  return Number.isInteger(value) && value >= 1 && value <= max ? value : `Expected --${name} to be an integer from 1 to ${max}, got ${JSON.stringify(text)}`;
}

/** A token: the environment's, or one made once and kept in `<state-dir>/<name>` for the next runs. */
function keptToken(stateDir: string, name: string, fromEnv: string | undefined): string {
  if (fromEnv) return fromEnv;
  const file = join(stateDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = `fs-${randomBytes(18).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2 });
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 1_000 }) as AsyncIterable<string[]>) {
      if (keys.length > 0) await redis.del(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        detectors: { type: 'string' },
        port: { type: 'string' },
        'backfill-days': { type: 'string' },
        rate: { type: 'string' },
        replay: { type: 'string' },
        'drift-at': { type: 'string' },
        'drift-after-days': { type: 'string' },
        'drift-amount-factor': { type: 'string' },
        'drift-scenario': { type: 'boolean' },
        'state-dir': { type: 'string', default: '.fraudstream' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
    return;
  }
  if (values.help) {
    console.log(usage);
    return;
  }
  const detectors = positiveInteger('detectors', values.detectors, 1, 12);
  const port = positiveInteger('port', values.port, 3000, 65535);
  const backfillDays = positiveInteger('backfill-days', values['backfill-days'], 60, 365);
  const rate = positiveInteger('rate', values.rate, 50, 100_000);
  for (const problem of [detectors, port, backfillDays, rate]) {
    if (typeof problem === 'string') {
      fail(problem);
      return;
    }
  }
  if (values.replay !== undefined && !existsSync(values.replay)) {
    fail(`Expected --replay to name a CSV file, got ${JSON.stringify(values.replay)} (no such file)`);
    return;
  }
  const driftArgs = [
    ...(['drift-at', 'drift-after-days', 'drift-amount-factor'] as const).flatMap((flag) => {
      const value = values[flag];
      return value === undefined ? [] : [`--${flag}`, value];
    }),
    ...(values['drift-scenario'] === true ? ['--drift-scenario'] : []),
  ];
  const producerArgs = [
    ...(values.replay !== undefined
      ? ['--replay', resolve(values.replay), ...(values.rate === undefined ? [] : ['--rate', String(rate)])]
      : ['--backfill-days', String(backfillDays), '--rate', String(rate)]),
    ...driftArgs,
  ];
  if (driftArgs.length > 0) {
    // The producer's own rules (a drift day and something to drift, no replay), now rather than in
    // its log once everything has started.
    const producer = producerSettings(producerArgs, process.env, Date.now());
    if (producer.outcome === 'invalid') {
      fail(producer.message);
      return;
    }
  }
  const env = loadConfig(StartEnv);
  if ((detectors as number) > 1 && !env.REDIS_URL) {
    fail(`--detectors ${detectors} needs REDIS_URL (e.g. REDIS_URL=redis://127.0.0.1:6379): replicas share features through Redis.`);
    return;
  }

  if (!(await portIsFree(port as number))) {
    fail(`Port ${port} is in use (is another npm start running?); choose another with --port`);
    return;
  }

  const stateDir = resolve(repoRoot, values['state-dir']);
  const shown = relative(process.cwd(), stateDir) || '.';
  // Every run starts from empty topics and database: the in-memory features of a fresh detector
  // would not match a stream it had half processed before.
  for (const part of ['kafka', 'alerts-db', 'logs']) rmSync(join(stateDir, part), { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });

  const log = createLogger({ name: 'start', level: 'info' });
  const token = keptToken(stateDir, 'alerts-api-token', env.ALERTS_API_TOKEN);
  const adminToken = keptToken(stateDir, 'admin-api-token', env.ALERTS_ADMIN_TOKEN);
  // Signals are handled here rather than by createShutdown: one Ctrl-C reaches this process more than
  // once (from the terminal, then relayed by npm and tsx), and only a later one should force the exit.
  const shutdown = createShutdown({ log, deadlineMs: 90_000, signals: [] });
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      void shutdown.run(signal);
    } else if (Date.now() - firstSignalAt > 1_500) {
      log.warn({ signal }, 'second signal: stopping every process now');
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let stopping = false;
  let ticker: NodeJS.Timeout | undefined;
  shutdown.register('status line', () => {
    stopping = true;
    clearInterval(ticker);
    if (process.stdout.isTTY) process.stdout.write('\n');
  });
  let stopSystem: () => Promise<void> = async () => {};
  shutdown.register('fraudstream', () => stopSystem());
  // Each run starts from empty topics, so its features start empty too: the detectors keep them under
  // a key prefix of this run's own, removed when the run ends.
  const redisKeyPrefix = `fraudstream:run-${Date.now().toString(36)}:`;
  if (env.REDIS_URL) shutdown.register('redis keys of this run', () => deleteKeys(env.REDIS_URL as string, redisKeyPrefix));

  console.log(`Starting fraudstream (state in ${shown}/, service logs in ${shown}/logs/) …`);
  const system: RunningSystem = await startSystem({
    stateDir,
    env: process.env,
    ...(env.KAFKA_BROKERS ? { kafkaBrokers: env.KAFKA_BROKERS.split(',').map((broker) => broker.trim()) } : { kafkaPort: 9092 }),
    ...(env.REDIS_URL ? { redisUrl: env.REDIS_URL, redisKeyPrefix } : {}),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    detectors: detectors as number,
    alertsPort: port as number,
    apiToken: token,
    adminToken,
    partitions: 12,
    producerArgs,
    logLevel: env.LOG_LEVEL,
    log,
    onStopAvailable: (stop) => {
      stopSystem = stop;
    },
  });

  const dashboard = system.dashboardUrl;
  console.log(
    [
      '',
      'fraudstream is running',
      `  dashboard       ${dashboard}   (API docs ${dashboard}docs)`,
      `  analyst token   ${token}   (the dashboard asks for it to mark alerts)`,
      `  admin token     ${adminToken}   (rules and lists: PUT ${dashboard}rules/{id}, kept in ${shown}/admin-api-token)`,
      `  alerts (REST)   curl -s '${dashboard}alerts?limit=5'`,
      `  alerts (live)   curl -N ${dashboard}alerts/stream`,
      `  Kafka           ${system.brokers.join(',')} (${system.kafkaSource})`,
      `  detectors       ${system.detectorUrls.map((url) => `${url}/metrics`).join(' ')}`,
      `  store           ${env.REDIS_URL ? `Redis ${env.REDIS_URL}` : 'in memory'}; alerts in ${env.DATABASE_URL ? 'PostgreSQL' : `PGlite (${shown}/alerts-db)`}`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );

  let previous: SystemSnapshot | undefined;
  let lastPrinted = 0;
  const tick = async (): Promise<void> => {
    const current = await system.snapshot();
    const line = `${new Date().toISOString().slice(11, 19)} ${statusLine(current, previous)}`;
    previous = current;
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastPrinted >= 15_000) {
      lastPrinted = Date.now();
      console.log(line);
    }
  };
  if (!stopping) ticker = setInterval(() => void tick().catch(() => {}), 2_000);

  // A service that stops on its own ends the run, unless it is a replay that finished its file.
  let exited = await system.firstExit();
  if (exited.name === 'producer' && values.replay !== undefined && (await exited.exited).code === 0 && !stopping) {
    console.log(`\nThe replay of ${values.replay} is complete; the rest keeps running. Ctrl-C stops it.`);
    exited = await system.firstExit(exited);
  }
  if (stopping) return;
  const { code, signal } = await exited.exited;
  console.error(`\n${exited.name} stopped (exit ${code ?? signal}). Last lines of ${exited.logFile}:\n${exited.tail()}`);
  process.exitCode = 1;
  await shutdown.run(`${exited.name} stopped`);
  shutdown.dispose();
}

main().catch((err: unknown) => {
  console.error(`npm start failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
