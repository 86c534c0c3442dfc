/**
 * A real Apache Kafka broker (KRaft, combined broker + controller) for tests and local runs, without
 * Docker: started from Kafka's own jars ($KAFKA_HOME, or resolved from Maven Central). One node by
 * default, or a cluster of several (`brokers`), each node its own JVM, port and data directory.
 * Resolution order: KAFKA_BROKERS → local jars → testcontainers (when a Docker engine answers).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
  /** Default: -Xms256m -Xmx1g for one node, -Xms128m -Xmx512m per node of a cluster. */
  KAFKA_HEAP_OPTS: z.string().min(1).optional(),
  /** Default: G1; a cluster's nodes also compile with the JIT's first tier only (see jvmOptions). */
  KAFKA_JVM_PERFORMANCE_OPTS: z.string().min(1).optional(),
});
type LocalKafkaEnv = z.infer<typeof LocalKafkaEnv>;

/** One node of a broker this process started, for fault tests: stop it, bring it back. */
export interface KafkaNode {
  nodeId: number;
  /** host:port of its client listener. */
  address: string;
  /** Sends `signal` (default SIGKILL) to the node and resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Restarts a killed node on the same data and port; resolves once it answers a metadata request. */
  start(): Promise<void>;
  running(): boolean;
}

export interface RunningKafka {
  /** Bootstrap address(es), comma-separated, as `KAFKA_BROKERS` takes them. */
  brokers: string;
  source: 'KAFKA_BROKERS' | 'local jars' | 'testcontainers';
  version: string;
  clusterId: string;
  /** The first node's log. */
  logFile?: string;
  /** The nodes this process runs, by node id; empty for a cluster it found (KAFKA_BROKERS). */
  nodes: KafkaNode[];
  stop(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /**
   * Nodes to start (default 1), node ids 1..n, every one a voter of the KRaft quorum. With three or
   * more, the internal topics get replication factor 3 and min.insync.replicas 2 (as do topics
   * created without a replication factor). Local jars only; a KAFKA_BROKERS cluster is used as it is.
   */
  brokers?: number;
  /** Fixed port for the (first) node's listener; a cluster's other nodes take the ports after it. Default: free ports. */
  port?: number;
  /** Keep data here instead of a fresh temporary directory (kept after stop); a cluster's nodes in node-1…node-n. */
  dataDir?: string;
  /** The environment (default process.env); without KAFKA_BROKERS in it, a broker is always started. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts (or finds) a broker following the documented resolution order. A test that wants nodes of
 * its own to kill passes `env: { ...process.env, KAFKA_BROKERS: undefined }` (a test run sets it).
 */
export async function startKafka(options: StartOptions = {}): Promise<RunningKafka> {
  const env = loadConfig(LocalKafkaEnv, options.env);
  const log = options.log ?? createLogger({ name: 'kafka', level: 'info' });
  const count = options.brokers ?? 1;
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`brokers must be a positive integer, got ${count}`);
  if (env.KAFKA_BROKERS) return useExternal(env.KAFKA_BROKERS, log);
  const missing: string[] = [];
  if (commandWorks('java', ['-version'])) {
    const libs = env.KAFKA_HOME ? join(env.KAFKA_HOME, 'libs') : await mavenLibs(env, log, missing);
    if (libs) return startFromJars(libs, env, log, options, count);
  } else {
    missing.push('Java (a JDK 17+ on PATH, to run the broker from its jars)');
  }
  if (count === 1 && (await dockerAnswers())) return startContainer(log);
  missing.push(count === 1 ? 'a Docker engine (for testcontainers)' : `nothing else: a ${count}-node cluster runs from the local jars only`);
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
  return { brokers, source: 'KAFKA_BROKERS', version: 'unknown (external cluster)', clusterId, nodes: [], stop: async () => {} };
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

/** Below Linux's ephemeral range (32768–60999), which outgoing connections draw their local ports from. */
const LISTEN_PORTS = { from: 20_000, to: 32_000 };

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port free to listen on for a process started next. Taken at random below the ephemeral range: a
 * port the kernel handed out (listen(0)) stays in that range, where any outgoing connection (a Kafka
 * client's, a test's) may take it as its local port before the process binds it (EADDRINUSE).
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = LISTEN_PORTS.from + Math.floor(Math.random() * (LISTEN_PORTS.to - LISTEN_PORTS.from));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${LISTEN_PORTS.from} and ${LISTEN_PORTS.to}`);
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

/**
 * The JVM flags of a node. A cluster's nodes compile with C1 only (-XX:TieredStopAtLevel=1): three
 * JVMs warming up with C2 on two cores took 22-32 s to answer, 13-18 s with C1 alone; a test
 * cluster's traffic does not need C2's code.
 */
function jvmOptions(env: LocalKafkaEnv, nodes: number): string[] {
  const heap = env.KAFKA_HEAP_OPTS ?? (nodes === 1 ? '-Xms256m -Xmx1g' : '-Xms128m -Xmx512m');
  const performance = env.KAFKA_JVM_PERFORMANCE_OPTS ?? (nodes === 1 ? '-XX:+UseG1GC' : '-XX:+UseG1GC -XX:TieredStopAtLevel=1');
  return `${heap} ${performance}`.split(/\s+/).filter((flag) => flag.length > 0);
}

interface NodePlan {
  nodeId: number;
  dir: string;
  port: number;
  controllerPort: number;
}

/** Internal topics replicated min(3, nodes) times; with three, a write needs two in sync. */
function replication(nodes: number): { factor: number; minIsr: number } {
  const factor = Math.min(3, nodes);
  return { factor, minIsr: factor >= 3 ? 2 : 1 };
}

function serverProperties(plan: NodePlan, voters: string, nodes: number): string {
  const { factor, minIsr } = replication(nodes);
  return [
    'process.roles=broker,controller',
    `node.id=${plan.nodeId}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${plan.port},CONTROLLER://127.0.0.1:${plan.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${plan.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(plan.dir, 'data')}`,
    'num.partitions=1',
    `default.replication.factor=${factor}`,
    `min.insync.replicas=${minIsr}`,
    `offsets.topic.replication.factor=${factor}`,
    `transaction.state.log.replication.factor=${factor}`,
    `transaction.state.log.min.isr=${minIsr}`,
    `share.coordinator.state.topic.replication.factor=${factor}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'delete.topic.enable=true',
    '',
  ].join('\n');
}

function clusterIdIn(nodeDir: string): string | undefined {
  const meta = join(nodeDir, 'data', 'meta.properties');
  if (!existsSync(meta)) return undefined;
  return /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'))?.[1]?.trim();
}

/** Kafka cluster ids are 16 random bytes in URL-safe base64, as `kafka-storage.sh random-uuid` makes them. */
function newClusterId(): string {
  // Like Kafka's own, never one that starts with "-" (the storage tool would read it as an option).
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  return clusterId;
}

/** The node directories of `dir`: the directory itself for one node, node-1…node-n for a cluster. */
function nodeDirs(dir: string, count: number): string[] {
  const kept = existsSync(dir) ? readdirSync(dir).filter((name) => /^node-\d+$/.test(name) && clusterIdIn(join(dir, name)) !== undefined) : [];
  const wanted = count === 1 ? [] : Array.from({ length: count }, (_, index) => `node-${index + 1}`);
  // The quorum's voters are fixed when it forms: a kept cluster restarts with the nodes it had.
  const foreign = kept.filter((name) => !wanted.includes(name));
  if (foreign.length > 0 || (kept.length > 0 && kept.length < wanted.length)) {
    throw new Error(`${dir} holds the data of a ${kept.length}-node cluster (${kept.sort().join(', ')}); start it with ${kept.length} brokers or use another data directory`);
  }
  return count === 1 ? [dir] : wanted.map((name) => join(dir, name));
}

async function distinctFreePorts(count: number, taken: number[]): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!taken.includes(port) && !ports.includes(port)) ports.push(port);
  }
  return ports;
}

async function startFromJars(libs: string, env: LocalKafkaEnv, log: Logger, options: StartOptions, count: number): Promise<RunningKafka> {
  const keepData = options.dataDir !== undefined;
  const dir = options.dataDir ? resolve(options.dataDir) : mkdtempSync(join(tmpdir(), 'fraudstream-kafka-'));
  mkdirSync(dir, { recursive: true });
  const dirs = nodeDirs(dir, count);
  const ports = options.port === undefined ? await distinctFreePorts(count, []) : dirs.map((_, index) => (options.port ?? 0) + index);
  if ((ports.at(-1) ?? 0) > 65_535) throw new Error(`ports ${ports[0]}-${ports.at(-1)} do not all exist`);
  const controllerPorts = await distinctFreePorts(count, ports);
  const plans: NodePlan[] = dirs.map((nodeDir, index) => ({ nodeId: index + 1, dir: nodeDir, port: ports[index] ?? 0, controllerPort: controllerPorts[index] ?? 0 }));
  const voters = plans.map((plan) => `${plan.nodeId}@127.0.0.1:${plan.controllerPort}`).join(',');
  const jvm = jvmOptions(env, count);
  const clusterId = dirs.map(clusterIdIn).find((id) => id !== undefined) ?? newClusterId();
  const nodes = plans.map((plan) => new JarNode(plan, libs, jvm, log));
  for (const node of nodes) node.configure(voters, count);
  // All nodes of a cluster share its id; each is formatted once, and kept data is never formatted again.
  await Promise.all(nodes.filter((node) => clusterIdIn(node.plan.dir) === undefined).map((node) => node.format(clusterId)));

  const removeData = (): void => {
    if (!keepData) rmSync(dir, { recursive: true, force: true });
  };
  try {
    // A cluster's nodes start together: none answers before a majority of the quorum is up.
    await Promise.all(nodes.map((node) => node.start(count === 1 ? 60_000 : 120_000)));
    if (count > 1) await waitForBrokerCount(nodes.map((node) => node.address), count, log, 60_000);
  } catch (err) {
    await Promise.all(nodes.map((node) => node.kill('SIGKILL')));
    removeData();
    throw err;
  }
  const first = nodes[0];
  const logFile = first?.logFile;
  const stop = async (): Promise<void> => {
    // A cluster's controlled shutdown takes seconds of leader moves, pointless for data about to go.
    await Promise.all(nodes.map((node) => (keepData || count === 1 ? node.stop() : node.kill('SIGKILL'))));
    removeData();
  };
  return {
    brokers: nodes.map((node) => node.address).join(','),
    source: 'local jars',
    version: (logFile && versionFromLog(logFile)) || versionFromJars(libs),
    clusterId,
    ...(logFile ? { logFile } : {}),
    nodes,
    stop,
  };
}

/** One JVM running one node, restartable on its data directory and ports. */
class JarNode implements KafkaNode {
  readonly nodeId: number;
  readonly address: string;
  readonly logFile: string;
  private readonly propertiesFile: string;
  private readonly jvmLogging: string[];
  private child: ChildProcess | undefined;
  private exit: Promise<void> = Promise.resolve();
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  constructor(
    readonly plan: NodePlan,
    private readonly libs: string,
    private readonly jvm: string[],
    private readonly log: Logger,
  ) {
    this.nodeId = plan.nodeId;
    this.address = `127.0.0.1:${plan.port}`;
    this.logFile = join(plan.dir, 'server.log');
    this.propertiesFile = join(plan.dir, 'server.properties');
    const log4jFile = join(plan.dir, 'log4j2.properties');
    this.jvmLogging = [`-Dlog4j2.configurationFile=${log4jFile}`, '-Djava.awt.headless=true'];
  }

  configure(voters: string, nodes: number): void {
    mkdirSync(this.plan.dir, { recursive: true });
    writeFileSync(this.propertiesFile, serverProperties(this.plan, voters, nodes));
    writeFileSync(join(this.plan.dir, 'log4j2.properties'), log4jConfig(this.logFile));
  }

  async format(clusterId: string): Promise<void> {
    const tool = ['-Xmx256m', '-XX:TieredStopAtLevel=1', ...this.jvmLogging];
    const child = spawn('java', [...tool, '-cp', `${this.libs}/*`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', this.propertiesFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolveExit, reject) => {
      child.once('error', reject);
      child.once('close', resolveExit);
    });
    if (code !== 0) throw new Error(`formatting Kafka storage of node ${this.nodeId} failed:\n${output}`);
  }

  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(timeoutMs = 60_000): Promise<void> {
    if (this.running()) return;
    const out = createWriteStream(join(this.plan.dir, 'stdout.log'), { flags: 'a' });
    const child = spawn('java', [...this.jvm, ...this.jvmLogging, '-cp', `${this.libs}/*`, 'kafka.Kafka', this.propertiesFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    process.on('exit', this.killOnExit);
    this.exit = new Promise<void>((resolveExit) =>
      child.once('exit', () => {
        process.off('exit', this.killOnExit);
        out.end();
        resolveExit();
      }),
    );
    const exitedEarly = this.exit.then(() => {
      const tail = existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
      throw new Error(`Kafka node ${this.nodeId} exited during start-up (code ${child.exitCode}, signal ${child.signalCode}). Log ${this.logFile}:\n${tail}`);
    });
    try {
      await Promise.race([waitForMetadata([this.address], this.log, timeoutMs), exitedEarly]);
    } catch (err) {
      await this.kill('SIGKILL');
      throw err;
    } finally {
      exitedEarly.catch(() => {});
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running()) this.child?.kill(signal);
    await this.exit;
  }

  /** SIGTERM (a controlled shutdown), SIGKILL when that takes longer than 15 s. */
  async stop(): Promise<void> {
    if (!this.running()) return this.exit;
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    await this.kill('SIGTERM');
    clearTimeout(timer);
  }
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

/** A cluster is whole when the bootstrap's metadata lists all its brokers (registered and unfenced). */
async function waitForBrokerCount(brokers: string[], count: number, log: Logger, timeoutMs: number): Promise<void> {
  const kafka = createKafkaForBrokers(brokers, createLogger({ name: 'kafka-probe', level: 'silent' }), 'fraudstream-probe');
  const admin = kafka.admin({ retry: { retries: 0 } });
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  try {
    await admin.connect();
    while (Date.now() < deadline) {
      seen = (await admin.describeCluster().catch(() => ({ brokers: [] }))).brokers.length;
      if (seen >= count) return;
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
  } finally {
    await admin.disconnect().catch(() => {});
  }
  log.error({ brokers, seen }, 'cluster incomplete');
  throw new Error(`Kafka at ${brokers.join(',')} listed ${seen} of ${count} brokers after ${timeoutMs} ms`);
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
  let up = true;
  // The container is kept when killed (its data with it), and restarted with the same port mapping.
  const node: KafkaNode = {
    nodeId: 1,
    address: brokers,
    running: () => up,
    kill: async (signal = 'SIGKILL') => {
      if (!up) return;
      await container.stop({ remove: false, timeout: signal === 'SIGKILL' ? 0 : 15_000 });
      up = false;
    },
    start: async () => {
      if (up) return;
      await container.restart();
      up = true;
      await waitForMetadata([brokers], log, 60_000);
    },
  };
  return {
    brokers,
    source: 'testcontainers',
    version: KAFKA_VERSION,
    clusterId,
    nodes: [node],
    stop: async () => {
      await container.stop();
    },
  };
}
