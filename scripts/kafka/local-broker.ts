/**
 * A real single-node Apache Kafka broker (KRaft, combined broker + controller) for tests and local
 * runs, without Docker: started from Kafka's own jars ($KAFKA_HOME, or resolved from Maven Central).
 * Resolution order: KAFKA_BROKERS → local jars → testcontainers (when a Docker engine answers).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createKafkaForBrokers, createLogger, loadConfig, type Logger } from '@fraudstream/shared';

export const KAFKA_VERSION = '4.1.2';
const here = dirname(fileURLToPath(import.meta.url));

const LocalKafkaEnv = z.object({
  KAFKA_BROKERS: z.string().min(1).optional(),
  KAFKA_HOME: z.string().min(1).optional(),
  FRAUDSTREAM_CACHE_DIR: z.string().min(1).optional(),
  XDG_CACHE_HOME: z.string().min(1).optional(),
  KAFKA_HEAP_OPTS: z.string().min(1).default('-Xms256m -Xmx1g'),
});
type LocalKafkaEnv = z.infer<typeof LocalKafkaEnv>;

export interface RunningKafka {
  /** Bootstrap address(es), comma-separated, as `KAFKA_BROKERS` takes them. */
  brokers: string;
  source: 'KAFKA_BROKERS' | 'local jars' | 'testcontainers';
  version: string;
  clusterId: string;
  logFile?: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Fixed port for the broker listener (default: a free port). */
  port?: number;
  /** Keep data here instead of a fresh temporary directory (kept after stop). */
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts (or finds) a broker following the documented resolution order. */
export async function startKafka(options: StartOptions = {}): Promise<RunningKafka> {
  const env = loadConfig(LocalKafkaEnv, options.env);
  const log = options.log ?? createLogger({ name: 'kafka', level: 'info' });
  if (env.KAFKA_BROKERS) return useExternal(env.KAFKA_BROKERS, log);
  const missing: string[] = [];
  if (commandWorks('java', ['-version'])) {
    const libs = env.KAFKA_HOME ? join(env.KAFKA_HOME, 'libs') : await mavenLibs(env, log, missing);
    if (libs) return startFromJars(libs, env, log, options);
  } else {
    missing.push('Java (a JDK 17+ on PATH, to run the broker from its jars)');
  }
  if (await dockerAnswers()) return startContainer(log);
  missing.push('a Docker engine (for testcontainers)');
  throw new Error(
    `No Kafka broker available. Set KAFKA_BROKERS to use a running cluster, or install what is missing:\n  - ${missing.join('\n  - ')}`,
  );
}

function commandWorks(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.status === 0;
}

async function useExternal(brokers: string, log: Logger): Promise<RunningKafka> {
  const { clusterId } = await waitForMetadata(brokers.split(','), log, 30_000);
  return { brokers, source: 'KAFKA_BROKERS', version: 'unknown (external cluster)', clusterId, stop: async () => {} };
}

/** The jars the local broker runs from ($KAFKA_HOME/libs, or resolved with Maven into the cache). */
export async function kafkaLibs(log: Logger, rawEnv?: NodeJS.ProcessEnv): Promise<string> {
  const env = loadConfig(LocalKafkaEnv, rawEnv);
  if (env.KAFKA_HOME) return join(env.KAFKA_HOME, 'libs');
  const missing: string[] = [];
  const libs = await mavenLibs(env, log, missing);
  if (!libs) throw new Error(`Cannot resolve Kafka's jars: missing ${missing.join(', ')}`);
  return libs;
}

export function cacheDir(env: LocalKafkaEnv): string {
  return env.FRAUDSTREAM_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'fraudstream');
}

/** Kafka's jars for KAFKA_VERSION, resolved with Maven into the cache once; undefined if impossible. */
export async function mavenLibs(env: LocalKafkaEnv, log: Logger, missing: string[] = []): Promise<string | undefined> {
  const libs = join(cacheDir(env), `kafka-${KAFKA_VERSION}`, 'libs');
  if (existsSync(join(libs, `kafka_2.13-${KAFKA_VERSION}.jar`))) return libs;
  if (!commandWorks('mvn', ['-v'])) {
    missing.push(`Maven (mvn on PATH, to resolve org.apache.kafka:kafka_2.13:${KAFKA_VERSION}), or KAFKA_HOME`);
    return undefined;
  }
  log.info({ libs }, `resolving Apache Kafka ${KAFKA_VERSION} jars from Maven Central`);
  const staging = `${libs}.tmp-${process.pid}`;
  mkdirSync(dirname(libs), { recursive: true });
  const result = spawnSync(
    'mvn',
    ['-q', '-B', '-f', join(here, 'pom.xml'), `-Dkafka.version=${KAFKA_VERSION}`, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${staging}`],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) throw new Error(`mvn could not resolve Apache Kafka ${KAFKA_VERSION} (exit ${result.status})`);
  rmSync(libs, { recursive: true, force: true });
  renameSync(staging, libs);
  return libs;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

const log4jConfig = (logFile: string): string => `status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${logFile}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FILE
logger.appinfo.name = org.apache.kafka.common.utils.AppInfoParser
logger.appinfo.level = INFO
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
`;

function serverProperties(dataDir: string, port: number, controllerPort: number): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(dataDir, 'data')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    '',
  ].join('\n');
}

async function startFromJars(libs: string, env: LocalKafkaEnv, log: Logger, options: StartOptions): Promise<RunningKafka> {
  const keepData = options.dataDir !== undefined;
  const dir = options.dataDir ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), 'fraudstream-kafka-'));
  mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const controllerPort = await freePort();
  const logFile = join(dir, 'server.log');
  const propertiesFile = join(dir, 'server.properties');
  const log4jFile = join(dir, 'log4j2.properties');
  writeFileSync(propertiesFile, serverProperties(dir, port, controllerPort));
  writeFileSync(log4jFile, log4jConfig(logFile));
  const classpath = `${libs}/*`;
  const jvmLogging = [`-Dlog4j2.configurationFile=${log4jFile}`, '-Djava.awt.headless=true'];

  if (!existsSync(join(dir, 'data', 'meta.properties'))) {
    // Kafka cluster ids are 16 random bytes in URL-safe base64, as `kafka-storage.sh random-uuid` makes
    // them, and like Kafka's own never start with "-" (the tool would read one as an option).
    let clusterId = randomBytes(16).toString('base64url');
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
    const format = spawnSync('java', [...jvmLogging, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile], {
      encoding: 'utf8',
    });
    if (format.status !== 0) throw new Error(`formatting Kafka storage failed:\n${format.stdout}${format.stderr}`);
  }

  const out = createWriteStream(join(dir, 'stdout.log'), { flags: 'a' });
  const child = spawn('java', [...env.KAFKA_HEAP_OPTS.split(/\s+/), '-XX:+UseG1GC', ...jvmLogging, '-cp', classpath, 'kafka.Kafka', propertiesFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => {
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
      reject(new Error(`Kafka broker exited during start-up (code ${code}, signal ${signal}). Log ${logFile}:\n${tail}`));
    });
  });
  const brokers = `127.0.0.1:${port}`;
  let clusterId: string;
  try {
    ({ clusterId } = await Promise.race([waitForMetadata([brokers], log, 60_000), exited]));
  } catch (err) {
    killOnExit();
    throw err;
  }
  exited.catch(() => {});

  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    }
    out.end();
    if (!keepData) rmSync(dir, { recursive: true, force: true });
  };
  return { brokers, source: 'local jars', version: versionFromLog(logFile) ?? versionFromJars(libs), clusterId, logFile, stop };
}

/** The broker prints its own version at start-up ("Kafka version: 4.1.2"). */
function versionFromLog(logFile: string): string | undefined {
  if (!existsSync(logFile)) return undefined;
  return /Kafka version: (\S+)/.exec(readFileSync(logFile, 'utf8'))?.[1];
}

function versionFromJars(libs: string): string {
  const jar = readdirSync(libs).find((name) => /^kafka_2\.\d+-.+\.jar$/.test(name));
  return jar?.replace(/^kafka_2\.\d+-(.+)\.jar$/, '$1') ?? 'unknown';
}

/** Ready means a metadata round trip succeeds — never a fixed sleep. */
export async function waitForMetadata(brokers: string[], log: Logger, timeoutMs: number): Promise<{ clusterId: string }> {
  const kafka = createKafkaForBrokers(brokers, createLogger({ name: 'kafka-probe', level: 'silent' }), 'fraudstream-probe');
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.disconnect();
      return { clusterId: cluster.clusterId };
    } catch (err) {
      lastError = err;
      await admin.disconnect().catch(() => {});
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
  }
  log.error({ err: lastError, brokers }, 'broker never answered a metadata request');
  throw new Error(`Kafka at ${brokers.join(',')} did not answer a metadata request within ${timeoutMs} ms: ${String(lastError)}`);
}

async function dockerAnswers(): Promise<boolean> {
  if (!commandWorks('docker', ['info'])) return false;
  return true;
}

async function startContainer(log: Logger): Promise<RunningKafka> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const port = await freePort();
  const container = await new GenericContainer(`apache/kafka:${KAFKA_VERSION}`)
    .withExposedPorts({ container: port, host: port })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${port},CONTROLLER://127.0.0.1:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@127.0.0.1:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forListeningPorts())
    .start();
  const brokers = `127.0.0.1:${port}`;
  const { clusterId } = await waitForMetadata([brokers], log, 60_000);
  return {
    brokers,
    source: 'testcontainers',
    version: KAFKA_VERSION,
    clusterId,
    stop: async () => {
      await container.stop();
    },
  };
}
