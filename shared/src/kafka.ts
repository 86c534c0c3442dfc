/**
 * The one module that imports kafkajs. Everything else gets clients, types and helpers from here,
 * so a change of client touches one file. (kafkajs-read-committed.ts, imported first, mends a bug
 * inside kafkajs before it loads; kafkajs-coordinators.ts saves it a round trip per transactional
 * request; kafkajs-stable-offsets.ts gives it OffsetFetch with require_stable.)
 */
import './kafkajs-read-committed.js';
import './kafkajs-coordinators.js';
import './kafkajs-stable-offsets.js';
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
import type { Logger } from './logger.js';
import { kafkaSettings, type KafkaEnv } from './config.js';

export { readingStableOffsets } from './kafkajs-stable-offsets.js';
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
  replicationFactor?: number;
  /** Retention in milliseconds; -1 keeps messages forever. Broker default when unset. */
  retentionMs?: number;
  /** Extra topic configuration, e.g. `{ 'cleanup.policy': 'compact' }`. */
  config?: Record<string, string>;
}

/**
 * Creates the topics that do not exist yet; existing ones are left as they are (a topic's
 * partition count is never lowered, and raising it would move keys between partitions).
 * Returns the names it created.
 */
export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.topic));
  if (missing.length === 0) return [];
  const topics: ITopicConfig[] = missing.map((spec) => ({
    topic: spec.topic,
    numPartitions: spec.partitions,
    replicationFactor: spec.replicationFactor ?? 1,
    configEntries: Object.entries({
      ...(spec.retentionMs === undefined ? {} : { 'retention.ms': String(spec.retentionMs) }),
      ...spec.config,
    }).map(([name, value]) => ({ name, value })),
  }));
  // Another process may create the same topic between our list and create: kafkajs then returns
  // false or raises TOPIC_ALREADY_EXISTS, and both mean the topic is there.
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (err) {
    if (!isTopicAlreadyExists(err)) throw err;
  }
  return missing.map((spec) => spec.topic);
}

function isTopicAlreadyExists(err: unknown): boolean {
  const e = err as { type?: string; errors?: Array<{ type?: string }> };
  if (e.type === 'TOPIC_ALREADY_EXISTS') return true;
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((inner) => inner.type === 'TOPIC_ALREADY_EXISTS');
}

/**
 * Runs `begin` (a transaction's first request to its coordinator) until it no longer meets
 * CONCURRENT_TRANSACTIONS: the broker answers that while it still writes the markers of the same
 * producer's previous transaction, which takes a few milliseconds after a commit. kafkajs retries it
 * for AddPartitionsToTxn only, with a growing backoff, and not at all for AddOffsetsToTxn (a batch
 * with offsets and no output then failed and was consumed again). Retried every `everyMs`, as the
 * Java client does, for at most `forMs`; any other error is thrown at once.
 */
export function whileTransactionsConcurrent<T>(begin: () => Promise<T>, everyMs = 5, forMs = 5_000): Promise<T> {
  return retryingWhile('CONCURRENT_TRANSACTIONS', begin, everyMs, forMs);
}

/**
 * Runs `read` (a stable offset read, `readingStableOffsets`) until the broker no longer answers
 * UNSTABLE_OFFSET_COMMIT: a transaction's offsets for the partition are pending until its markers are
 * written, or until the transaction is aborted (at the latest when it times out).
 */
export function whileOffsetsUnstable<T>(read: () => Promise<T>, everyMs = 20, forMs = 120_000): Promise<T> {
  return retryingWhile('UNSTABLE_OFFSET_COMMIT', read, everyMs, forMs);
}

async function retryingWhile<T>(type: string, attempt: () => Promise<T>, everyMs: number, forMs: number): Promise<T> {
  const giveUpAt = Date.now() + forMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if ((err as { type?: string }).type !== type || Date.now() >= giveUpAt) throw err;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
