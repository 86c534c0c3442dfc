/**
 * The producer process: configuration from flags and environment, topics, a Kafka producer, the
 * stream (simulated or replayed) and the signals. The stream itself is createProducerService.
 */
import { existsSync } from 'node:fs';
import {
  createKafka,
  createLogger,
  createShutdown,
  ensureTopics,
  FraudstreamError,
  isFraudstreamError,
  loadConfig,
  retryWithBackoff,
  type BackoffOptions,
  type Logger,
} from '@fraudstream/shared';
import { ProducerServiceEnv, parseProducerArgs, planFor, usage, withFlagNames } from './options.js';
import { createIdempotentProducer, createProducerService } from './producer.js';
import { createSimulator } from './simulator/simulator.js';
import { replaySource, simulatedSource } from './sources.js';

let log: Logger | undefined;

function configure(): ProducerServiceEnv | undefined {
  try {
    const parsed = parseProducerArgs(process.argv.slice(2));
    if (parsed.help) {
      console.log(usage);
      return undefined;
    }
    const config = loadConfig(ProducerServiceEnv, { ...process.env, ...parsed.env });
    if (config.PRODUCER_REPLAY_FILE !== undefined && !existsSync(config.PRODUCER_REPLAY_FILE)) {
      throw new FraudstreamError('USAGE_INVALID', `Expected --replay to name a CSV file, got ${JSON.stringify(config.PRODUCER_REPLAY_FILE)} (no such file)`);
    }
    return config;
  } catch (err) {
    if (!isFraudstreamError(err, 'USAGE_INVALID') && !isFraudstreamError(err, 'CONFIG_INVALID')) throw err;
    console.error(`${withFlagNames(err.message)}\n\n${usage}`);
    process.exitCode = 2;
    return undefined;
  }
}

async function main(): Promise<void> {
  const config = configure();
  if (config === undefined) return;
  log = createLogger({ name: 'producer', level: config.LOG_LEVEL });
  const plan = planFor(config, Date.now());
  const topics = { transactions: config.TRANSACTIONS_TOPIC, labels: config.LABELS_TOPIC };
  const backoff: BackoffOptions = {
    maxOutageMs: config.PRODUCER_MAX_OUTAGE_SECONDS === undefined ? Number.POSITIVE_INFINITY : config.PRODUCER_MAX_OUTAGE_SECONDS * 1000,
  };

  const kafka = createKafka({ env: config, log });
  // A broker that is not up yet is waited for, as one that goes away later is.
  await retryWithBackoff(
    'topic check',
    async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
        const created = await ensureTopics(
          admin,
          [topics.transactions, topics.labels].map((topic) => ({
            topic,
            partitions: config.KAFKA_TOPIC_PARTITIONS,
            replicationFactor: config.KAFKA_REPLICATION_FACTOR,
          })),
        );
        if (created.length > 0) log?.info({ topics: created }, 'created topics');
      } finally {
        await admin.disconnect();
      }
    },
    { log, backoff },
  );

  const replayFile = config.PRODUCER_REPLAY_FILE;
  const source =
    replayFile !== undefined
      ? replaySource(replayFile, (bad) => log?.warn({ file: replayFile, line: bad.line, reason: bad.reason, row: bad.text.slice(0, 200) }, 'bad row skipped'))
      : simulatedSource(
          createSimulator({
            customers: config.PRODUCER_CUSTOMERS,
            terminals: config.PRODUCER_TERMINALS,
            seed: config.PRODUCER_SEED,
            startMs: plan.simulation?.startMs,
            firstTransactionId: plan.simulation?.firstTransactionId,
          }),
        );
  const service = createProducerService({
    createProducer: () => createIdempotentProducer(kafka),
    backoff,
    source,
    topics,
    labelDelayMs: plan.labelDelayMs,
    pacing: plan.pacing,
    log,
    batchSize: config.PRODUCER_BATCH_SIZE,
    compression: config.PRODUCER_COMPRESSION,
    maxEvents: config.PRODUCER_MAX_EVENTS,
    durationMs: config.PRODUCER_DURATION_SECONDS === undefined ? undefined : config.PRODUCER_DURATION_SECONDS * 1000,
    statsIntervalMs: config.PRODUCER_STATS_INTERVAL_MS,
  });

  const shutdown = createShutdown({ log });
  // Stopping the stream disconnects its producer.
  shutdown.register('stream', () => service.stop());

  log.info(
    {
      mode: replayFile === undefined ? 'simulation' : 'replay',
      replayFile,
      topics,
      rate: plan.pacing.rate,
      speed: plan.pacing.speed,
      liveFrom: Number.isFinite(plan.pacing.liveFromMs) ? new Date(plan.pacing.liveFromMs).toISOString() : undefined,
      labelDelayDays: config.PRODUCER_LABEL_DELAY_DAYS,
      maxOutageSeconds: config.PRODUCER_MAX_OUTAGE_SECONDS,
    },
    'producer started',
  );
  const summary = await service.run();
  log.info(summary, 'producer finished');
  await shutdown.run(summary.stoppedBy);
  shutdown.dispose();
}

main().catch((err: unknown) => {
  if (log) log.fatal({ err }, 'producer failed');
  else console.error(err);
  process.exit(1);
});
