import { createServer } from 'node:net';
import { join } from 'node:path';
import { createKafkaForBrokers, DAY_MS, ensureTopics, FraudstreamError, topics, type Admin, type Logger } from '@fraudstream/shared';
import { freePort } from '../kafka/local-broker.js';
import { spawnService, waitUntilReady, type ServiceProcess } from './processes.js';
import { seedStarterRules } from './starter-rules.js';
import { parseMetrics, snapshotFrom, type Sample, type SystemSnapshot } from './status.js';

export interface SystemOptions {
  /** Logs, the local broker's data and the embedded alerts database live here. */
  stateDir: string;
  /** Environment the services inherit (PATH, LOG_LEVEL, …); the launcher sets the rest per service. */
  env: NodeJS.ProcessEnv;
  /** An existing cluster; otherwise the project's local broker is started. */
  kafkaBrokers?: string[];
  /** Preferred port of the local broker; a free one when it is taken. */
  kafkaPort?: number;
  redisUrl?: string;
  redisKeyPrefix?: string;
  /** PostgreSQL for the alerts; otherwise embedded PGlite under the state directory. */
  databaseUrl?: string;
  detectors: number;
  alertsPort: number;
  alertsHost?: string;
  apiToken: string;
  /** Rule and list management; unset: the alerts service serves no /rules. */
  adminToken?: string;
  /** Put the starter rules (rules/, all in shadow mode) through the admin API; default true when adminToken is set. */
  starterRules?: boolean;
  partitions: number;
  /** Producer command-line flags; `undefined` starts no producer (see `startProducer`). */
  producerArgs?: string[];
  logLevel?: string;
  log: Logger;
  /** How long each service may take to become ready. */
  readyTimeoutMs?: number;
  /** Receives `stop` at once, so a Ctrl-C during start-up stops what has started so far. */
  onStopAvailable?: (stop: () => Promise<void>) => void;
}

export interface RunningSystem {
  brokers: string[];
  kafkaSource: 'local broker' | 'KAFKA_BROKERS';
  dashboardUrl: string;
  detectorUrls: string[];
  services(): ServiceProcess[];
  /** Starts (another) producer, e.g. a replay of a CSV file. */
  startProducer(args: string[], name?: string): ServiceProcess;
  /** Current counters from the services' /metrics and the transactions topic's end offsets. */
  snapshot(): Promise<SystemSnapshot>;
  /** Resolves with the first service that exits (a crash, or a producer that finished), `except` those. */
  firstExit(...except: ServiceProcess[]): Promise<ServiceProcess>;
  /** Stops everything in order: producers, detectors, alerts, Kafka. Harmless when called twice. */
  stop(): Promise<void>;
}

/** What a plain `npm start` means: the topics, with enough partitions to add detectors later. */
export function systemTopicSpecs(partitions: number) {
  // The scores carry every payment: a week is enough to rebuild the payments store from them.
  return Object.values(topics).map((topic) => ({ topic, partitions, retentionMs: (topic === topics.scores ? 7 : 90) * DAY_MS }));
}

/**
 * Brings up the whole system on this machine as child processes: Kafka (unless given), the topics,
 * the alerts service, the detectors and the producer, each waited for before the next starts.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const { stateDir, env, log, detectors, apiToken, partitions, readyTimeoutMs = 120_000 } = options;
  if (detectors > 1 && !options.redisUrl) {
    throw new FraudstreamError(
      'CONFIG_INVALID',
      `${detectors} detectors need REDIS_URL: replicas share card and terminal history through Redis (the in-memory store is per process).`,
    );
  }
  const alertsHost = options.alertsHost ?? '127.0.0.1';
  if (!(await portIsFree(options.alertsPort, alertsHost))) {
    throw new FraudstreamError('CONFIG_INVALID', `port ${options.alertsPort} is in use (another npm start?); choose another with --port`);
  }
  const logs = join(stateDir, 'logs');
  const common: NodeJS.ProcessEnv = { ...env, ...(options.logLevel ? { LOG_LEVEL: options.logLevel } : {}), KAFKA_TOPIC_PARTITIONS: String(partitions) };
  const started: Array<{ role: 'kafka' | 'alerts' | 'detector' | 'producer'; process: ServiceProcess }> = [];
  let stopping: Promise<void> | undefined;
  let statusAdmin: Admin | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await statusAdmin?.disconnect().catch(() => {});
      for (const role of ['producer', 'detector', 'alerts', 'kafka'] as const) {
        const group = started.filter((entry) => entry.role === role);
        if (group.length > 0) log.info(`stopping ${group.map((entry) => entry.process.name).join(', ')}`);
        await Promise.all(group.map((entry) => entry.process.stop()));
      }
    })();
    return stopping;
  };
  options.onStopAvailable?.(stop);
  const step = <T>(result: T): T => {
    if (stopping) throw new Error('stopped during start-up');
    return result;
  };

  try {
    let brokers = options.kafkaBrokers;
    let kafkaSource: RunningSystem['kafkaSource'] = 'KAFKA_BROKERS';
    if (!brokers) {
      kafkaSource = 'local broker';
      const port = await portOrFree(options.kafkaPort);
      // startKafka runs inside `npm run kafka`, a child in a process group of its own: a broker started
      // in this process would share the terminal's group, get Ctrl-C first, and stop before the services.
      const kafka = spawnService({
        name: 'kafka',
        script: 'scripts/kafka.ts',
        args: ['--port', String(port), '--data-dir', join(stateDir, 'kafka')],
        // Without KAFKA_BROKERS, `npm run kafka` starts a broker rather than looking for one.
        env: { ...common, KAFKA_BROKERS: undefined },
        logFile: join(logs, 'kafka.log'),
      });
      started.push({ role: 'kafka', process: kafka });
      // The first run may resolve Kafka's jars from Maven Central before the broker starts.
      brokers = [step(await brokerAddress(kafka, Math.max(readyTimeoutMs, 300_000)))];
    }
    const kafkaEnv = { KAFKA_BROKERS: brokers.join(',') };

    const client = createKafkaForBrokers(brokers, log, 'fraudstream-start');
    const admin = client.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, systemTopicSpecs(partitions));
    } finally {
      await admin.disconnect();
    }
    step(undefined);

    const alerts = spawnService({
      name: 'alerts',
      script: 'services/alerts/src/main.ts',
      env: {
        ...common,
        ...kafkaEnv,
        KAFKA_CLIENT_ID: 'fraudstream-alerts',
        PORT: String(options.alertsPort),
        HOST: alertsHost,
        ALERTS_API_TOKEN: apiToken,
        ...(options.adminToken ? { ALERTS_ADMIN_TOKEN: options.adminToken } : {}),
        ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { PGLITE_DIR: join(stateDir, 'alerts-db') }),
      },
      logFile: join(logs, 'alerts.log'),
    });
    started.push({ role: 'alerts', process: alerts });
    const alertsUrl = `http://${alertsHost}:${options.alertsPort}`;
    step(await waitUntilReady(`${alertsUrl}/readyz`, alerts, readyTimeoutMs));
    // Before the detectors start: each reads the control topics in full before it joins its group.
    if (options.adminToken && options.starterRules !== false) {
      const seeded = await seedStarterRules(alertsUrl, options.adminToken).catch((err: unknown) => {
        log.warn({ err }, 'could not put the starter rules (rules/starter-rules.json): the detectors run without them');
        return undefined;
      });
      if (seeded) log.info(seeded, 'starter rules and lists put, in shadow mode');
    }

    const detectorUrls: string[] = [];
    const detectorProcesses: ServiceProcess[] = [];
    for (let replica = 1; replica <= detectors; replica += 1) {
      const port = await freePort();
      const detector = spawnService({
        name: detectors === 1 ? 'detector' : `detector-${replica}`,
        script: 'services/detector/src/main.ts',
        env: {
          ...common,
          ...kafkaEnv,
          KAFKA_CLIENT_ID: `fraudstream-detector-${replica}`,
          DETECTOR_PORT: String(port),
          DETECTOR_HOST: '127.0.0.1',
          ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
          ...(options.redisKeyPrefix ? { REDIS_KEY_PREFIX: options.redisKeyPrefix } : {}),
        },
        logFile: join(logs, `${detectors === 1 ? 'detector' : `detector-${replica}`}.log`),
      });
      started.push({ role: 'detector', process: detector });
      detectorProcesses.push(detector);
      detectorUrls.push(`http://127.0.0.1:${port}`);
    }
    step(await Promise.all(detectorProcesses.map((detector, index) => waitUntilReady(`${detectorUrls[index]}/readyz`, detector, readyTimeoutMs))));

    let producers = 0;
    const startProducer = (args: string[], name = producers === 0 ? 'producer' : `producer-${producers + 1}`): ServiceProcess => {
      producers += 1;
      const producer = spawnService({
        name,
        script: 'services/producer/src/main.ts',
        args,
        env: { ...common, ...kafkaEnv, KAFKA_CLIENT_ID: 'fraudstream-producer' },
        logFile: join(logs, `${name}.log`),
      });
      started.push({ role: 'producer', process: producer });
      return producer;
    };
    if (options.producerArgs) startProducer(options.producerArgs);

    return {
      brokers,
      kafkaSource,
      dashboardUrl: `${alertsUrl}/`,
      detectorUrls,
      services: () => started.map((entry) => entry.process),
      startProducer,
      snapshot: async () => {
        if (!statusAdmin) {
          statusAdmin = client.admin();
          await statusAdmin.connect();
        }
        return snapshot(statusAdmin, detectorUrls, alertsUrl);
      },
      firstExit: (...except) =>
        Promise.race(
          started.filter((entry) => !except.includes(entry.process)).map((entry) => entry.process.exited.then(() => entry.process)),
        ),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function portOrFree(preferred: number | undefined): Promise<number> {
  return preferred !== undefined && (await portIsFree(preferred)) ? preferred : freePort();
}

/** `npm run kafka` prints `KAFKA_BROKERS=host:port` once its broker answers. */
async function brokerAddress(kafka: ServiceProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Kafka did not start within ${timeoutMs / 1000} s. Log: ${kafka.logFile}`)), timeoutMs);
    kafka.onLine((line) => {
      const match = /^KAFKA_BROKERS=(\S+)$/.exec(line.trim());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void kafka.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`Kafka exited during start-up. Last lines of ${kafka.logFile}:\n${kafka.tail()}`));
    });
  });
}

async function metricsOf(url: string): Promise<Sample[] | undefined> {
  try {
    const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) });
    return response.ok ? parseMetrics(await response.text()) : undefined;
  } catch {
    return undefined;
  }
}

async function snapshot(admin: Admin, detectorUrls: string[], alertsUrl: string): Promise<SystemSnapshot> {
  const [produced, alerts, ...detectors] = await Promise.all([
    admin
      .fetchTopicOffsets(topics.transactions)
      .then((partitions) => partitions.reduce((sum, partition) => sum + Number(partition.high), 0))
      // The status line shows what it can; Kafka briefly unreachable is not worth a crash.
      .catch(() => 0),
    metricsOf(alertsUrl),
    ...detectorUrls.map(metricsOf),
  ]);
  return snapshotFrom(detectors, alerts, produced, topics.transactions, Date.now());
}
