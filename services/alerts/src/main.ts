import type { AddressInfo } from 'node:net';
import {
  AlertsEnv,
  createKafka,
  createLogger,
  controlTopicSpecs,
  createControlFeed,
  createShutdown,
  describeEnvironment,
  ensureTopics,
  isFraudstreamError,
  loadConfig,
  ResilientProducer,
} from '@fraudstream/shared';
import { buildApp } from './app.js';
import { kafkaControlChannel } from './rules/kafka-channel.js';
import { createRuleRegistry } from './rules/registry.js';
import { createAlertConsumer } from './consumer.js';
import { createRuleHitsConsumer } from './rule-hits.js';
import { createMetrics } from './metrics.js';
import { createLabelOutbox } from './outbox.js';
import { openAlertStore } from './store/open.js';
import { createAlertFeed } from './stream/alert-feed.js';
import { createCaseFeed } from './stream/case-feed.js';
import { createModelHealthMonitor } from './monitoring/model-health.js';
import { createPaymentsConsumers } from './monitoring/payments-consumers.js';
import { modelDirReference } from './monitoring/reference.js';

const usage = `Usage: npm run alerts

Consumes ALERTS_TOPIC into PostgreSQL (DATABASE_URL) or an embedded PGlite database (PGLITE_DIR),
serves the REST API, live stream and dashboard on HOST:PORT, and publishes analyst feedback to LABELS_TOPIC
(through an outbox table: a verdict is stored with its label, the label is sent once Kafka takes it).
ALERTS_API_TOKEN is required (feedback); ALERTS_READ_TOKEN, when set, protects reads too; HOST=0.0.0.0
lets other hosts in; a label waiting longer than ALERTS_LABEL_MAX_PENDING_MS makes /readyz answer 503.

Environment (defaults; each variable is described in docs/configuration.md):
${describeEnvironment(AlertsEnv)}`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage);
    return;
  }
  const env = loadConfig(AlertsEnv);
  const log = createLogger({ name: 'alerts', level: env.LOG_LEVEL });
  const shutdown = createShutdown({ log });

  const store = await openAlertStore({ databaseUrl: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR, log, paymentsKeepDays: env.PAYMENTS_KEEP_DAYS });
  const kafka = createKafka({ env, log });
  const admin = kafka.admin();
  await admin.connect();
  const controlTopics = { rules: env.RULES_TOPIC, lists: env.LISTS_TOPIC };
  await ensureTopics(admin, [
    { topic: env.ALERTS_TOPIC, partitions: env.KAFKA_TOPIC_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR },
    { topic: env.LABELS_TOPIC, partitions: env.KAFKA_TOPIC_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR },
    ...controlTopicSpecs(controlTopics, env.KAFKA_REPLICATION_FACTOR),
    { topic: env.RULE_HITS_TOPIC, partitions: env.KAFKA_TOPIC_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR },
    ...(env.SCORES_TOPIC ? [{ topic: env.SCORES_TOPIC, partitions: env.KAFKA_TOPIC_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR }] : []),
  ]);
  await admin.disconnect();

  // A send of a label gives up after 10 s of failures (the outbox then backs off and tries again,
  // forever), so a publishing round, and shutdown, are not held by an outage; the producer behind it is
  // replaced after an error that ends its session.
  const producer = new ResilientProducer({
    createProducer: () => kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
    log,
    backoff: { initialMs: 100, maxMs: 2_000, maxOutageMs: 10_000 },
  });
  await producer.connect();
  const metrics = createMetrics();
  const labels = createLabelOutbox({
    outbox: store.labelOutbox,
    producer,
    topic: env.LABELS_TOPIC,
    metrics,
    log,
    maxPendingMs: env.ALERTS_LABEL_MAX_PENDING_MS,
  });
  const feed = createAlertFeed({ store, metrics, log, maxStreams: env.ALERTS_MAX_STREAMS });
  const caseFeed = createCaseFeed({ cases: store.cases, metrics, log, maxStreams: env.ALERTS_MAX_STREAMS });
  const consumer = createAlertConsumer({
    kafka,
    groupId: env.ALERTS_GROUP_ID,
    topic: env.ALERTS_TOPIC,
    store,
    metrics,
    log,
    onStored: () => {
      feed.notify();
      caseFeed.notify();
    },
  });
  // The payments store (model health, the case view): every score and every label, read-committed.
  const payments = env.SCORES_TOPIC
    ? createPaymentsConsumers({ kafka, groupId: env.ALERTS_GROUP_ID, topics: { scores: env.SCORES_TOPIC, labels: env.LABELS_TOPIC }, store: store.payments, keepDays: env.PAYMENTS_KEEP_DAYS, metrics, log })
    : undefined;
  if (!payments) log.warn('the payments store is off (SCORES_TOPIC is empty): no /model-health');
  const modelHealth = payments
    ? createModelHealthMonitor({
        store: store.payments,
        references: modelDirReference(env.MODEL_DIR),
        settings: {
          labelDelayDays: env.LABEL_DELAY_DAYS,
          driftWindowMs: env.MODEL_HEALTH_DRIFT_WINDOW_HOURS * 3_600_000,
          thresholds: { warn: env.MODEL_HEALTH_PSI_WARN, alert: env.MODEL_HEALTH_PSI_ALERT },
        },
        metrics,
        log,
        refreshMs: env.MODEL_HEALTH_REFRESH_MS,
      })
    : undefined;
  // Rule management reads the control topics back (read-your-writes) and writes them through the
  // producer the labels use; without an admin token there is no /rules (and no feed to read).
  const control = env.ALERTS_ADMIN_TOKEN
    ? createControlFeed({ kafka, topics: controlTopics, groupIdPrefix: env.ALERTS_GROUP_ID, log, onInvalid: (topic) => metrics.controlInvalid.inc({ topic }) })
    : undefined;
  if (!control) log.warn('rule management is off: set ALERTS_ADMIN_TOKEN to serve /rules and /lists');
  // The rules' hit counts, for the Rules page (with rule management only).
  const ruleHits = control
    ? createRuleHitsConsumer({ kafka, groupId: `${env.ALERTS_GROUP_ID}-rule-hits`, topic: env.RULE_HITS_TOPIC, store, metrics, log })
    : undefined;
  const app = await buildApp({
    store,
    labels,
    feed,
    caseFeed,
    metrics,
    apiToken: env.ALERTS_API_TOKEN,
    readToken: env.ALERTS_READ_TOKEN,
    consumerProblems: () => [
      ...consumer.problems(),
      ...(control?.problems() ?? []),
      ...(ruleHits?.problems() ?? []).map((problem) => `rule hits: ${problem}`),
      ...(payments?.scores.problems() ?? []).map((problem) => `payments store (scores): ${problem}`),
      ...(payments?.labels.problems() ?? []).map((problem) => `payments store (labels): ${problem}`),
      ...(modelHealth?.problems() ?? []),
    ],
    modelHealth,
    ...(control && env.ALERTS_ADMIN_TOKEN
      ? { rules: { registry: createRuleRegistry({ channel: kafkaControlChannel({ feed: control, producer, topics: controlTopics }) }), adminToken: env.ALERTS_ADMIN_TOKEN } }
      : {}),
    corsOrigins: env.ALERTS_CORS_ORIGINS,
    log,
  });

  // Stop taking alerts first (the in-flight batch is stored and committed), then stop serving (no new
  // verdicts), then the label publisher (its in-flight send finishes; what is left stays in the outbox
  // for the next start or another replica), then close what they all used.
  // Both consumers leave their groups at once (each may wait out a fetch).
  shutdown.register('consumers', async () => void (await Promise.all([consumer.stop(), ruleHits?.stop(), payments?.scores.stop(), payments?.labels.stop()])));
  shutdown.register('model health', () => modelHealth?.stop());
  if (control) shutdown.register('control', () => control.stop());
  shutdown.register('http', () => app.close());
  shutdown.register('labels', () => labels.stop());
  shutdown.register('producer', () => producer.disconnect());
  shutdown.register('store', () => store.close());

  await consumer.start();
  // Reads every rule and list before serving, so the first GET /rules is complete.
  await control?.start();
  await ruleHits?.start();
  await payments?.scores.start();
  await payments?.labels.start();
  modelHealth?.start();
  labels.start();
  await app.listen({ port: env.PORT, host: env.HOST });
  // listen() answers with one reachable URL (127.0.0.1 for 0.0.0.0): log the interface actually bound.
  const bound = app.server.address() as AddressInfo;
  const address = `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  log.info({ address, dashboard: `${address}/`, docs: `${address}/docs` }, 'alerts service listening');
}

main().catch((err: unknown) => {
  console.error(isFraudstreamError(err, 'CONFIG_INVALID') ? err.message : err);
  process.exit(1);
});
