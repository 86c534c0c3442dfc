import type { AddressInfo } from 'node:net';
import {
  AlertsEnv,
  createKafka,
  createLogger,
  createShutdown,
  ensureTopics,
  isFraudstreamError,
  loadConfig,
  ResilientProducer,
  topics,
} from '@fraudstream/shared';
import { buildApp } from './app.js';
import { createAlertConsumer } from './consumer.js';
import { createLabelPublisher } from './feedback.js';
import { createMetrics } from './metrics.js';
import { openAlertStore } from './store/open.js';
import { createAlertFeed } from './stream/alert-feed.js';

const usage = `Usage: npm run alerts

Consumes fraud.alerts into PostgreSQL (DATABASE_URL) or an embedded PGlite database (PGLITE_DIR),
serves the REST API, live stream and dashboard on HOST:PORT, and publishes analyst feedback to fraud.labels.

Environment: PORT (3000), HOST (127.0.0.1; 0.0.0.0 to be reached from other hosts), DATABASE_URL,
PGLITE_DIR (.fraudstream/alerts-db), ALERTS_API_TOKEN (required, for feedback), ALERTS_READ_TOKEN
(optional, protects reads), ALERTS_CORS_ORIGINS (comma-separated origins allowed to call the API
from a browser; unset: none),
ALERTS_GROUP_ID (fraudstream-alerts), KAFKA_BROKERS (127.0.0.1:9092), LOG_LEVEL (info).`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(usage);
    return;
  }
  const env = loadConfig(AlertsEnv);
  const log = createLogger({ name: 'alerts', level: env.LOG_LEVEL });
  const shutdown = createShutdown({ log });

  const store = await openAlertStore({ databaseUrl: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR, log });
  const kafka = createKafka({ env, log });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { topic: topics.alerts, partitions: env.KAFKA_TOPIC_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR },
    { topic: topics.labels, partitions: env.KAFKA_TOPIC_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR },
  ]);
  await admin.disconnect();

  // A verdict waits at most 10 s for Kafka (then the analyst gets a 503 and can retry); the producer
  // behind it is replaced after an error that ends its session.
  const producer = new ResilientProducer({
    createProducer: () => kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
    log,
    backoff: { initialMs: 100, maxMs: 2_000, maxOutageMs: 10_000 },
  });
  await producer.connect();
  const metrics = createMetrics();
  const feed = createAlertFeed({ store, metrics, log });
  const consumer = createAlertConsumer({
    kafka,
    groupId: env.ALERTS_GROUP_ID,
    topic: topics.alerts,
    store,
    metrics,
    log,
    onStored: () => feed.notify(),
  });
  const app = await buildApp({
    store,
    labels: createLabelPublisher({ producer, topic: topics.labels }),
    feed,
    metrics,
    apiToken: env.ALERTS_API_TOKEN,
    readToken: env.ALERTS_READ_TOKEN,
    consumerProblems: () => consumer.problems(),
    corsOrigins: env.ALERTS_CORS_ORIGINS,
    log,
  });

  // Stop taking alerts first (the in-flight batch is stored and committed), then stop serving,
  // then close what both used.
  shutdown.register('consumer', () => consumer.stop());
  shutdown.register('http', () => app.close());
  shutdown.register('producer', () => producer.disconnect());
  shutdown.register('store', () => store.close());

  await consumer.start();
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
