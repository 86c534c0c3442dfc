/**
 * The one module that imports kafkajs (only its mends, in ./mends/, reach inside it). Everything else
 * gets clients, types and helpers from here or its folder, so a change of client touches one folder.
 *
 * Its first import, ./mends/index.js, mends bugs inside kafkajs before kafkajs loads (one file each in
 * ./mends/: read-committed.ts, send-retries.ts, coordinators.ts, stable-offsets.ts). Their install step
 * (mends/install.ts) stops the process with KAFKAJS_UNSUPPORTED unless kafkajs is the release they
 * were written for (KAFKAJS_VERSION), every internal they patch is there in the shape they expect, and
 * kafkajs has not been loaded before them; only then does it change anything.
 */
import './mends/index.js';
import { readFileSync } from 'node:fs';
import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type KafkaConfig,
  type Producer,
  type ProducerConfig,
  type SASLOptions,
  type ITopicConfig,
  type LogEntry,
} from 'kafkajs';
import type { Logger } from '../logger.js';
import { kafkaSettings, type KafkaEnv } from '../config.js';

export {
  CompressionTypes,
  type Admin,
  type Consumer,
  type ConsumerConfig,
  type EachBatchPayload,
  type EachMessagePayload,
  type KafkaMessage,
  type Message,
  type Producer,
  type ProducerConfig,
  type RecordMetadata,
  type Transaction as KafkaTransaction,
  type TopicPartitionOffsetAndMetadata,
  type Batch,
} from 'kafkajs';

const levelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through pino, with kafkajs' own level one notch quieter: its INFO is chatty. */
function pinoLogCreator(log: Logger) {
  return () =>
    ({ level, log: entry }: LogEntry): void => {
      const { message, ...fields } = entry;
      let method = levelNames[level] ?? 'info';
      // kafkajs logs every error response at ERROR, retriable ones included ("coordinator is
      // loading"); the caller retries them and a real failure surfaces as a thrown error.
      if (method === 'info' || message.startsWith('Response ')) method = 'debug';
      // Said at the creation of every idempotent producer (kafkajs bounds retries by default). Here a send
      // that runs out of retries fails: the detector's aborts its transaction and consumes the batch again,
      // the others raise the error; a resent event changes nothing downstream (stores dedupe by id).
      if (message.startsWith('Limiting retries for the idempotent producer')) method = 'debug';
      log[method]({ kafkajs: fields }, message);
    };
}

/**
 * kafkajs' client with one default changed: producers use the Java-compatible murmur2 partitioner
 * explicitly, so a card lands on the same partition whichever client wrote it.
 */
export class FraudstreamKafka extends Kafka {
  override producer(config?: ProducerConfig): Producer {
    return super.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
  }
}
export type { FraudstreamKafka as Kafka };

function clientConfig(log: Logger, config: Omit<KafkaConfig, 'logLevel' | 'logCreator'>): KafkaConfig {
  return {
    retry: { initialRetryTime: 100, retries: 8 },
    ...config,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(log.child({ component: 'kafkajs' })),
  };
}

export interface CreateKafkaOptions {
  env: KafkaEnv;
  log: Logger;
  clientId?: string;
}

/** A kafkajs client configured from the environment (brokers, client id, optional SSL and SASL). */
export function createKafka({ env, log, clientId }: CreateKafkaOptions): FraudstreamKafka {
  const settings = kafkaSettings(env);
  const ssl = typeof settings.ssl === 'object' ? { ca: [readFileSync(settings.ssl.caFile, 'utf8')] } : settings.ssl;
  return new FraudstreamKafka(
    clientConfig(log, {
      clientId: clientId ?? settings.clientId,
      brokers: settings.brokers,
      ssl,
      ...(settings.sasl ? { sasl: settings.sasl as SASLOptions } : {}),
    }),
  );
}

/** A kafkajs client for tests and tools that only know the bootstrap addresses. */
export function createKafkaForBrokers(brokers: string[], log: Logger, clientId = 'fraudstream-tools'): FraudstreamKafka {
  return new FraudstreamKafka(clientConfig(log, { clientId, brokers }));
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** Default: min(3, the brokers the cluster lists). */
  replicationFactor?: number | undefined;
  /** Retention in milliseconds; -1 keeps messages forever. Broker default when unset. */
  retentionMs?: number;
  /** Extra topic configuration, e.g. `{ 'cleanup.policy': 'compact' }`; `min.insync.replicas` defaults to 2 with 3+ replicas. */
  config?: Record<string, string>;
}

export interface EnsureTopicsOptions {
  /** How long the topics may take to be served by every partition's leader. */
  readyTimeoutMs?: number;
}

/**
 * Creates the topics that do not exist yet; existing ones are left as they are (a topic's
 * partition count is never lowered, and raising it would move keys between partitions). Either way
 * it returns only once every partition of every topic has a leader that serves it (see
 * `waitUntilServed`), and throws when that takes longer than `readyTimeoutMs`.
 * Returns the names it created.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[], options: EnsureTopicsOptions = {}): Promise<string[]> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length > 0) await createTopics(admin, missing, readyTimeoutMs);
  await waitUntilServed(
    admin,
    specs.map((spec) => spec.topic),
    readyTimeoutMs,
  );
  return missing.map((spec) => spec.topic);
}

async function createTopics(admin: Admin, specs: TopicSpec[], timeoutMs: number): Promise<void> {
  const brokers = specs.some((spec) => spec.replicationFactor === undefined) ? (await admin.describeCluster()).brokers.length : 1;
  const topics: ITopicConfig[] = specs.map((spec) => {
    const replicationFactor = spec.replicationFactor ?? Math.max(1, Math.min(3, brokers));
    return {
      topic: spec.topic,
      numPartitions: spec.partitions,
      replicationFactor,
      configEntries: Object.entries({
        // With three copies a write acknowledged by all in sync is on two at least, so one broker can go.
        ...(replicationFactor >= 3 ? { 'min.insync.replicas': '2' } : {}),
        ...(spec.retentionMs === undefined ? {} : { 'retention.ms': String(spec.retentionMs) }),
        ...spec.config,
      }).map(([name, value]) => ({ name, value })),
    };
  });
  // Another process may create the same topic between our list and create: kafkajs then returns
  // false or raises TOPIC_ALREADY_EXISTS, and both mean the topic is there. kafkajs' own wait for
  // leaders is not enough (see waitUntilServed), and gives up after 5 s.
  try {
    await admin.createTopics({ topics, waitForLeaders: false, timeout: timeoutMs });
  } catch (err) {
    if (!isTopicAlreadyExists(err)) throw err;
  }
}

/**
 * Waits until every partition of `topics` has a leader in the metadata and that leader answers
 * ListOffsets for it. A broker lists a new partition's leader in its metadata before its replica
 * manager hosts the partition: under CPU contention a produce sent in that gap failed with "This
 * server does not host this topic-partition" (UNKNOWN_TOPIC_OR_PARTITION). ListOffsets is answered by
 * each partition's leader from its replica manager, so once it succeeds a produce does too.
 */
async function waitUntilServed(admin: Admin, topics: string[], timeoutMs: number): Promise<void> {
  if (topics.length === 0) return;
  const giveUpAt = Date.now() + timeoutMs;
  let pending = [...new Set(topics)];
  let lastProblem = '';
  for (;;) {
    const stillPending: string[] = [];
    for (const topic of pending) {
      const problem = await notServed(admin, topic);
      if (problem !== undefined) {
        stillPending.push(topic);
        lastProblem = problem;
      }
    }
    pending = stillPending;
    if (pending.length === 0) return;
    if (Date.now() >= giveUpAt) {
      throw new Error(`Kafka topic(s) ${pending.join(', ')} not served by a leader for every partition after ${timeoutMs} ms: ${lastProblem}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Why `topic` is not served yet, or undefined when it is. */
async function notServed(admin: Admin, topic: string): Promise<string | undefined> {
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = metadata.topics[0]?.partitions ?? [];
    if (partitions.length === 0) return `${topic} has no partitions in the metadata`;
    const leaderless = partitions.filter((partition) => partition.leader < 0).map((partition) => partition.partitionId);
    if (leaderless.length > 0) return `${topic} partitions ${leaderless.join(', ')} have no leader`;
    const offsets = await admin.fetchTopicOffsets(topic);
    if (offsets.length < partitions.length) return `${topic}: ListOffsets answered for ${offsets.length} of ${partitions.length} partitions`;
    return undefined;
  } catch (err) {
    return `${topic}: ${(err as Error).message}`;
  }
}

function isTopicAlreadyExists(err: unknown): boolean {
  const e = err as { type?: string; errors?: Array<{ type?: string }> };
  if (e.type === 'TOPIC_ALREADY_EXISTS') return true;
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => inner.type === 'TOPIC_ALREADY_EXISTS');
}
