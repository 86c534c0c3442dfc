import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { onTestFinished } from 'vitest';
import { controlTopicSpecs, DAY_MS, DetectorEnv, type ControlTopics, createFeatureEngine, createRedisFeatureStore, type Kafka, type KafkaMessage, type Message, type NamedList, type Rule } from '@fraudstream/shared';
import { DEFAULT_MODEL_DIR, initTensorflow, loadModel, type FraudModel } from '@fraudstream/model';
import { createDetector, type Detector, type DetectorTopics } from '../../src/detector.js';
import { createDetectorMetrics, type DetectorMetrics } from '../../src/metrics.js';
import type { ModelHolder } from '../../src/model-holder.js';
import type { DetectorRules } from '../../src/rules.js';
import { createRedisProgressBoard } from '../../src/progress.js';
import { createTestTopics, testLog, uniqueName } from '../../../../test/support/kafka.js';

export * from './harness-data.js';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/** Random topics for one detector test (deleted when the test ends). */
export async function detectorTopics(kafka: Kafka, partitions: number, withScored = true): Promise<DetectorTopics> {
  const topics: DetectorTopics = {
    transactions: uniqueName('transactions'),
    labels: uniqueName('labels'),
    alerts: uniqueName('alerts'),
    deadLetters: uniqueName('dlq'),
    ...(withScored ? { scored: uniqueName('scored') } : {}),
  };
  await createTestTopics(
    kafka,
    Object.values(topics).map((topic: string) => ({ topic, partitions })),
  );
  return topics;
}

/** Random compacted rules and lists topics for one test. */
export async function controlTopics(kafka: Kafka): Promise<ControlTopics> {
  const topics = { rules: uniqueName('fraud.rules'), lists: uniqueName('fraud.lists') };
  await createTestTopics(kafka, controlTopicSpecs(topics));
  return topics;
}

/** A Redis key prefix of its own, with its keys removed when the test ends. */
export function redisPrefix(): string {
  const prefix = `test-detector-${randomBytes(5).toString('hex')}:`;
  onTestFinished(async () => {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  return prefix;
}

export async function produce(kafka: Kafka, topic: string, messages: Message[], chunk = 2_000): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let start = 0; start < messages.length; start += chunk) {
      await producer.send({ topic, messages: messages.slice(start, start + chunk), acks: -1 });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads a topic from the beginning, read-committed, until `done(messages)` holds or the time is up;
 * returns what it read either way, each record once (by partition and offset: the reader's own
 * rebalances may hand it a batch twice, which must not pass for a duplicate in the topic).
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  done: (messages: KafkaMessage[]) => boolean,
  timeoutMs = 60_000,
): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted: false, maxWaitTimeInMs: 100 });
  const records = new Map<string, KafkaMessage>();
  const messages = () => [...records.values()];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let resolveDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) records.set(`${batch.partition}:${message.offset}`, message);
      if (done(messages())) resolveDone();
    },
  });
  const timer = setTimeout(resolveDone, timeoutMs);
  if (done(messages())) resolveDone();
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return messages();
}

/** The model the integration tests use: the one shipped in model/default. */
export const TEST_MODEL_DIR = DEFAULT_MODEL_DIR;

let sharedModel: Promise<FraudModel> | undefined;

/** The shipped model, loaded once per test file. */
export function defaultModel(): Promise<FraudModel> {
  sharedModel ??= initTensorflow().then(() => loadModel(TEST_MODEL_DIR));
  return sharedModel;
}

export function fixedModel(model: FraudModel): ModelHolder {
  return { current: () => model, reload: () => Promise.resolve(false), onSwap: () => {}, close: () => {} };
}

export interface InProcessDetector {
  detector: Detector;
  metrics: DetectorMetrics;
  stop(): Promise<void>;
}

/** The detector's settings where a test does not choose: the env schema's defaults, as main.ts gets them. */
const defaults = DetectorEnv.parse({});

/** A detector in this process with the real engine, Redis store, progress board and model. */
export async function startDetector(options: {
  kafka: Kafka;
  topics: DetectorTopics;
  groupId: string;
  keyPrefix: string;
  model?: ModelHolder;
  rules?: DetectorRules;
}): Promise<InProcessDetector> {
  const redis = new Redis(REDIS_URL);
  const engine = createFeatureEngine(createRedisFeatureStore({ client: redis, keyPrefix: options.keyPrefix }));
  const progress = createRedisProgressBoard({ client: redis, keyPrefix: options.keyPrefix });
  const metrics = createDetectorMetrics();
  const detector = createDetector({
    kafka: options.kafka,
    engine,
    store: 'redis',
    progress,
    models: options.model ?? fixedModel(await defaultModel()),
    log: testLog,
    metrics,
    topics: options.topics,
    groupId: options.groupId,
    labelDelayMs: defaults.LABEL_DELAY_DAYS * DAY_MS,
    // A replica that dies is noticed sooner than with the default 30 s.
    sessionTimeout: 6_000,
    heartbeatInterval: 500,
    maxBytesPerPartition: defaults.DETECTOR_MAX_BYTES_PER_PARTITION,
    // One batch at a time; main.ts runs DETECTOR_PARTITIONS_CONCURRENTLY of them.
    partitionsConsumedConcurrently: 1,
    maxEventAheadMs: defaults.DETECTOR_MAX_EVENT_AHEAD_MS,
    ...(options.rules ? { rules: options.rules } : {}),
  });
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await detector.stop();
      await engine.close();
      await redis.quit();
    })();
    return stopped;
  };
  onTestFinished(stop);
  await detector.start();
  return { detector, metrics, stop };
}

/** Counts of each key's occurrences: for exactly-once checks. */
export function occurrences(values: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** A rule event as the alerts service would publish it. */
export const rule = (id: string, version: number, expression: string, action: Rule['action'], mode: Rule['mode'] = 'active'): Rule => ({
  schemaVersion: 1, id, version, name: `Rule ${id}`, expression, action, mode, updatedAt: '2026-12-02T00:00:00Z', updatedBy: 'test',
});

/** Publishes rules keyed by id; resolves with the offset of the last one. */
export async function publishRules(kafka: Kafka, topic: string, rules: Rule[]): Promise<number> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const [written] = await producer.send({ topic, acks: -1, messages: rules.map((r) => ({ key: r.id, value: JSON.stringify(r) })) });
  await producer.disconnect();
  return Number(written?.baseOffset) + rules.length - 1;
}

/** Publishes named lists (version 1) keyed by name. */
export async function publishLists(kafka: Kafka, topic: string, lists: Record<string, string[]>): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = Object.entries(lists).map(([name, items]): Message => {
    const list: NamedList = { schemaVersion: 1, name, version: 1, items, updatedAt: '2026-12-02T00:00:00Z', updatedBy: 'test' };
    return { key: name, value: JSON.stringify(list) };
  });
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}
