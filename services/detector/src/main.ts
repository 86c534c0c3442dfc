import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import {
  controlTopicSpecs,
  createControlFeed,
  createFeatureEngine,
  createKafka,
  createLogger,
  createMemoryFeatureStore,
  createRedisFeatureStore,
  createShutdown,
  DAY_MS,
  describeEnvironment,
  DetectorEnv,
  ensureTopics,
  isFraudstreamError,
  loadConfig,
  SECOND_MS,
  watchRedisHealth,
} from '@fraudstream/shared';
import { DEFAULT_MODEL_DIR, initTensorflow, loadModel } from '@fraudstream/model';
import { createDetector } from './detector.js';
import { createDetectorMetrics } from './metrics.js';
import { createModelHolder } from './model-holder.js';
import { buildOpsServer } from './ops.js';
import { createDetectorRules } from './rules.js';
import { createMemoryProgressBoard, createRedisProgressBoard } from './progress.js';

const usage = `Usage: npm run detector

Scores every transaction of TRANSACTIONS_TOPIC exactly once (consumer group DETECTOR_GROUP_ID), publishes
flagged ones with their reasons to ALERTS_TOPIC and invalid messages to DEAD_LETTER_TOPIC. Configured by
the environment (defaults; each variable is described in docs/configuration.md):

${describeEnvironment(DetectorEnv)}

A consumer that crashes or loses the broker is reconnected with a backoff, forever; /readyz answers 503
while the detector is not consuming (fraudstream_detector_consumer_up says the same).

SIGTERM or SIGINT: finishes and commits the batch in flight, leaves the group, exits 0.`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage);
    return;
  }
  const env = loadConfig(DetectorEnv);
  const log = createLogger({ name: 'detector', level: env.LOG_LEVEL });
  const shutdown = createShutdown({ log });
  const metrics = createDetectorMetrics();

  const backend = await initTensorflow();
  const models = await createModelHolder({ dir: env.MODEL_DIR ?? DEFAULT_MODEL_DIR, load: loadModel, log, pollMs: env.MODEL_POLL_MS });
  metrics.modelInfo.set({ version: models.current().version }, 1);
  models.onSwap((model) => {
    metrics.modelInfo.reset();
    metrics.modelInfo.set({ version: model.version }, 1);
  });
  // A challenger that cannot load stops the start like the champion: the configuration asked for it.
  const challengers = env.CHALLENGER_MODEL_DIR
    ? await createModelHolder({ dir: env.CHALLENGER_MODEL_DIR, load: loadModel, log: log.child({ model: 'challenger' }), pollMs: env.MODEL_POLL_MS })
    : undefined;
  if (challengers) {
    metrics.challengerInfo.set({ version: challengers.current().version }, 1);
    challengers.onSwap((model) => {
      metrics.challengerInfo.reset();
      metrics.challengerInfo.set({ version: model.version }, 1);
    });
    log.info({ champion: models.current().version, challenger: challengers.current().version }, 'shadow challenger: scores every payment beside the champion, never alerts');
  }
  log.info({ backend }, 'tensorflow backend');

  // ioredis reconnects by itself (a Cluster also follows MOVED/ASK and finds a failed-over master);
  // while it cannot, batches fail and are consumed again, /readyz says why. No enableAutoPipelining on
  // the Cluster: it groups a call by its first argument, which for the store's scripts is a key count.
  const redis = env.REDIS_CLUSTER_NODES
    ? new Cluster(env.REDIS_CLUSTER_NODES, { scaleReads: 'master', redisOptions: { maxRetriesPerRequest: 3 } })
    : env.REDIS_URL
      ? new Redis(env.REDIS_URL, { maxRetriesPerRequest: 3 })
      : undefined;
  const storeName = redis instanceof Cluster ? 'redis-cluster' : redis ? 'redis' : 'memory';
  const logRedisError = (connection: string) => (err: Error) => log.warn({ err, connection }, 'Redis unavailable');
  redis?.on('error', logRedisError('features'));
  if (redis instanceof Cluster) redis.on('node error', (err: Error, node: string) => log.warn({ err, connection: 'features', node }, 'Redis Cluster node unavailable'));
  const redisProblems = redis ? watchRedisHealth(redis) : () => [];
  const store = redis ? createRedisFeatureStore({ client: redis, keyPrefix: env.REDIS_KEY_PREFIX }) : createMemoryFeatureStore();
  const engine = createFeatureEngine(store, { labelDelayDays: env.LABEL_DELAY_DAYS });
  // A connection of its own: the event-time gate's small reads must not queue behind a batch's feature script.
  const progress = redis
    ? createRedisProgressBoard({ client: redis.duplicate().on('error', logRedisError('progress')), keyPrefix: env.REDIS_KEY_PREFIX, ownsClient: true })
    : createMemoryProgressBoard();
  if (!redis) log.warn('REDIS_URL and REDIS_CLUSTER_NODES are not set: features are kept in memory, so run exactly one replica');

  const kafka = createKafka({ env, log, clientId: env.KAFKA_CLIENT_ID });
  const topics = {
    transactions: env.TRANSACTIONS_TOPIC,
    labels: env.LABELS_TOPIC,
    alerts: env.ALERTS_TOPIC,
    deadLetters: env.DEAD_LETTER_TOPIC,
    ...(env.SCORES_TOPIC ? { scored: env.SCORES_TOPIC } : {}),
    ruleHits: env.RULE_HITS_TOPIC,
  };
  const admin = kafka.admin();
  await admin.connect();
  const controlTopics = { rules: env.RULES_TOPIC, lists: env.LISTS_TOPIC };
  await ensureTopics(admin, [
    ...Object.values(topics).map((topic) => ({
      topic,
      partitions: env.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: env.KAFKA_REPLICATION_FACTOR,
      ...(topic === topics.scored ? { retentionMs: env.SCORES_RETENTION_MS } : {}),
    })),
    ...controlTopicSpecs(controlTopics, env.KAFKA_REPLICATION_FACTOR),
  ]);
  await admin.disconnect();

  // Every replica reads all the rules and lists before it joins the group, then applies changes
  // between two batches: replicas converge within a batch of each other.
  const control = createControlFeed({
    kafka,
    topics: controlTopics,
    groupIdPrefix: env.DETECTOR_GROUP_ID,
    log,
    onInvalid: (topic) => metrics.controlInvalid.inc({ topic }),
    sessionTimeout: env.DETECTOR_SESSION_TIMEOUT_MS,
    heartbeatInterval: env.DETECTOR_HEARTBEAT_INTERVAL_MS,
  });
  const rules = createDetectorRules({ feed: control, metrics, log });

  const detector = createDetector({
    kafka,
    engine,
    store: redis ? 'redis' : 'memory',
    progress,
    models,
    ...(challengers ? { challengers } : {}),
    log,
    metrics,
    topics,
    groupId: env.DETECTOR_GROUP_ID,
    labelDelayMs: env.LABEL_DELAY_DAYS * DAY_MS,
    sessionTimeout: env.DETECTOR_SESSION_TIMEOUT_MS,
    heartbeatInterval: env.DETECTOR_HEARTBEAT_INTERVAL_MS,
    maxBytesPerPartition: env.DETECTOR_MAX_BYTES_PER_PARTITION,
    partitionsConsumedConcurrently: env.DETECTOR_PARTITIONS_CONCURRENTLY,
    maxEventAheadMs: env.DETECTOR_MAX_EVENT_AHEAD_MS,
    rules,
    onFatal: (err) => {
      log.fatal({ err }, 'detector cannot go on');
      // Nothing it has not committed counts, so a shutdown stuck in a rebalance is not waited for long.
      void Promise.race([shutdown.run('fatal'), sleep(3 * SECOND_MS)]).then(() => process.exit(1));
    },
  });

  const ops = buildOpsServer({
    registry: metrics.registry,
    notReady: () => [...detector.notReady(), ...redisProblems().map((problem) => `feature store: ${problem}`)],
  });

  // One ordered path: stop consuming (finishing the in-flight batch and its commit), leave the group,
  // close producers, then the HTTP server, the model watcher and the store.
  shutdown.register('detector', () => detector.stop());
  shutdown.register('rules', () => control.stop());
  shutdown.register('ops server', () => ops.close());
  shutdown.register('model watcher', () => {
    models.close();
    challengers?.close();
  });
  shutdown.register('feature engine', () => engine.close());
  shutdown.register('progress board', () => progress.close());
  if (redis) shutdown.register('redis', async () => void (await redis.quit().catch(() => 'closed')));

  await ops.listen({ port: env.DETECTOR_PORT, host: env.DETECTOR_HOST });
  // listen() answers with one reachable URL (127.0.0.1 for 0.0.0.0): log the interface actually bound.
  const bound = ops.server.address() as AddressInfo;
  log.info({ address: `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`, topics, groupId: env.DETECTOR_GROUP_ID, store: storeName }, 'ops server listening');
  await control.start();
  rules.sync();
  await detector.start();
}

main().catch((err: unknown) => {
  if (isFraudstreamError(err, 'CONFIG_INVALID')) console.error(err.message);
  else createLogger({ name: 'detector' }).fatal({ err }, 'detector failed to start');
  process.exit(1);
});
