/**
 * Producer benchmark (`npm run bench -- producer`): a history backfill through the producer service
 * (simulating, encoding, pacing logic, chargeback labels, acks=all idempotent sends) against the
 * baseline of sending the same transactions, simulated and encoded beforehand, with the same
 * idempotent producer and batch size. Prints numbers only. Uses KAFKA_BROKERS, or starts a broker
 * from the local jars like `npm run kafka`.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createKafkaForBrokers, createLogger, encode, ensureTopics, type Message } from '@fraudstream/shared';
import { createIdempotentProducer, createProducerService } from '../../services/producer/src/producer.js';
import { DAY_MS } from '@fraudstream/shared';
import { createSimulator, transactionEventOf } from '../../services/producer/src/simulator/simulator.js';
import { simulatedSource } from '../../services/producer/src/sources.js';
import { startKafka } from '../kafka/local-broker.js';

const usage = `Usage: npx tsx scripts/bench/producer.ts [--days N] [--partitions P] [--batch-size B]

  --days N         days of history to backfill (default 10, about 95,000 transactions and the
                   chargebacks of the first 3 days)
  --partitions P   partitions of the transactions topic (default 12)
  --batch-size B   messages per produce request (default 1000)`;

const log = createLogger({ name: 'bench-producer', level: 'warn', pretty: false });

function parseOptions(): { days: number; partitions: number; batchSize: number } | undefined {
  try {
    const { values } = parseArgs({
      options: { days: { type: 'string' }, partitions: { type: 'string' }, 'batch-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
    if (values.help) return undefined;
    const whole = (name: string, text: string | undefined, fallback: number) => {
      const value = Number(text ?? fallback);
      if (!Number.isInteger(value) || value < 1) throw new Error(`Expected --${name} to be a whole number >= 1, got ${text}`);
      return value;
    };
    return {
      days: whole('days', values.days, 10),
      partitions: whole('partitions', values.partitions, 12),
      batchSize: whole('batch-size', values['batch-size'], 1_000),
    };
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options === undefined) {
    console.log(usage);
    return;
  }
  const { days, partitions, batchSize } = options;
  const broker = await startKafka({ log });
  const kafka = createKafkaForBrokers(broker.brokers.split(','), log, 'bench-producer');
  const admin = kafka.admin();
  await admin.connect();
  const suffix = randomBytes(4).toString('hex');
  const names = {
    service: { transactions: `bench-tx-service-${suffix}`, labels: `bench-labels-service-${suffix}` },
    baseline: `bench-tx-baseline-${suffix}`,
  };
  await ensureTopics(admin, [
    { topic: names.service.transactions, partitions },
    { topic: names.service.labels, partitions },
    { topic: names.baseline, partitions },
  ]);
  const startMs = Date.UTC(2018, 3, 1);
  try {
    const producer = createIdempotentProducer(kafka);
    await producer.connect();

    const reference = createSimulator({ seed: 0, startMs });
    const history = Array.from({ length: days }, () => reference.nextDay()).flat();
    const messages: Message[] = history.map((simulated) => ({ key: simulated.cardId, value: encode(transactionEventOf(simulated)) }));
    // Warm-up: connections and metadata for both topics, outside the timings.
    await producer.sendBatch({
      topicMessages: [names.baseline, names.service.transactions].map((topic) => ({ topic, messages: messages.slice(0, 1) })),
      acks: -1,
    });
    let started = performance.now();
    for (let i = 0; i < messages.length; i += batchSize) {
      await producer.sendBatch({ topicMessages: [{ topic: names.baseline, messages: messages.slice(i, i + batchSize) }], acks: -1 });
    }
    const baselineSeconds = (performance.now() - started) / 1000;

    started = performance.now();
    const summary = await createProducerService({
      producer,
      source: simulatedSource(createSimulator({ seed: 0, startMs })),
      topics: names.service,
      labelDelayMs: 7 * DAY_MS,
      pacing: { rate: 0, liveFromMs: startMs + days * DAY_MS },
      log,
      batchSize,
      maxEvents: history.length,
      statsIntervalMs: 3_600_000,
    }).run();
    const serviceSeconds = (performance.now() - started) / 1000;
    await producer.disconnect();

    const perSecond = (count: number, seconds: number) => Math.round(count / seconds).toLocaleString('en');
    console.log(`producer: ${days} days of history (seed 0, 5,000 customers), ${partitions} partitions, batches of ${batchSize}, acks=all, idempotent`);
    console.log(`  transactions                         ${history.length.toLocaleString('en')}`);
    console.log(
      `  producer service backfill            ${serviceSeconds.toFixed(2)} s   ${perSecond(summary.transactions, serviceSeconds)} tx/s   (+ ${summary.labels} labels)`,
    );
    console.log(`  baseline: sendBatch of the same`);
    console.log(`    transactions encoded beforehand    ${baselineSeconds.toFixed(2)} s   ${perSecond(messages.length, baselineSeconds)} tx/s`);
  } finally {
    await admin.deleteTopics({ topics: [names.service.transactions, names.service.labels, names.baseline] }).catch(() => undefined);
    await admin.disconnect();
    await broker.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
