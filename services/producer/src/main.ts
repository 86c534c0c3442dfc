/**
 * The producer process: configuration from flags and environment, topics, a Kafka producer, the
 * stream (simulated or replayed) and the signals. The stream itself is createProducerService.
 */
import { createKafka, createLogger, createShutdown, ensureTopics, retryWithBackoff, type BackoffOptions, type Logger } from '@fraudstream/shared';
import { producerSettings, type ProducerPlan, type ProducerServiceEnv } from './options.js';
import { createIdempotentProducer, createProducerService } from './producer.js';
import { createSimulator, type SimulatorDrift } from './simulator/simulator.js';
import { replaySource, simulatedSource } from './sources.js';

let log: Logger | undefined;

function configure(): { config: ProducerServiceEnv; plan: ProducerPlan } | undefined {
  const settings = producerSettings(process.argv.slice(2), process.env, Date.now());
  if (settings.outcome === 'help') console.log(settings.text);
  if (settings.outcome === 'invalid') {
    console.error(settings.text);
    process.exitCode = 2;
  }
  return settings.outcome === 'run' ? settings : undefined;
}

/** The drift as the start-up line shows it; undefined (left out of the line) without one. */
function driftLogOf(drift: SimulatorDrift | undefined) {
  if (drift === undefined) return undefined;
  return { from: new Date(drift.fromMs).toISOString(), amountFactor: drift.amountFactor, cardTesting: drift.cardTesting };
}

async function main(): Promise<void> {
  const configured = configure();
  if (configured === undefined) return;
  const { config, plan } = configured;
  log = createLogger({ name: 'producer', level: config.LOG_LEVEL });
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
            drift: plan.simulation?.drift,
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
      drift: driftLogOf(plan.simulation?.drift),
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
