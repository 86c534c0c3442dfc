import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FraudstreamKafka, createKafkaForBrokers, type Producer } from '@fraudstream/shared';
import { freePort, startKafka, type RunningKafka } from '../../../scripts/kafka/local-broker.js';
import { createTestTopics, testLog, uniqueName } from '../../../test/support/kafka.js';
import { createIdempotentProducer, createProducerService } from '../src/producer.js';
import { DAY_MS } from '@fraudstream/shared';
import { createSimulator } from '../src/simulator/simulator.js';
import { simulatedSource } from '../src/sources.js';
import { consumeUntil, decodedLabels, decodedTransactions } from './support/consume.js';

const TRANSACTIONS = 3_000;
const OUTAGE_AFTER = 1_000;

describe('the producer service through a broker outage', () => {
  // A broker of this test's own: stopped mid-stream, started again on the same port and data.
  const dataDir = mkdtempSync(join(tmpdir(), 'fraudstream-producer-outage-'));
  const brokerEnv = { ...process.env, KAFKA_BROKERS: undefined, KAFKA_HEAP_OPTS: '-Xms128m -Xmx512m' };
  let port = 0;
  let broker: RunningKafka | undefined;

  beforeAll(async () => {
    port = await freePort();
    broker = await startKafka({ port, dataDir, log: testLog, env: brokerEnv });
  });

  afterAll(async () => {
    await broker?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('holds the stream while the broker is down and sends every transaction once it is back', { timeout: 180_000 }, async () => {
    const brokers = [`127.0.0.1:${port}`];
    const kafka = createKafkaForBrokers(brokers, testLog, uniqueName('outage-test'));
    const names = { transactions: uniqueName('transactions'), labels: uniqueName('labels') };
    await createTestTopics(kafka, [
      { topic: names.transactions, partitions: 3 },
      { topic: names.labels, partitions: 3 },
    ]);
    const options = { customers: 200, terminals: 400, seed: 8, startMs: Date.UTC(2018, 3, 1) };
    const reference = createSimulator(options);
    const simulated = [];
    while (simulated.length < TRANSACTIONS) simulated.push(...reference.nextDay());
    const history = simulated.slice(0, TRANSACTIONS);
    const lastMs = history.at(-1)!.timestampMs;
    const expectedLabels = history.filter((t) => t.fraud && t.timestampMs + DAY_MS < lastMs);

    // kafkajs' client retries a refused connection for about 40 s before its producer gives up; with
    // two retries it gives up within a second, so a 10 s outage takes the service through its own
    // retries and producer re-creations, as a longer one does with the default client.
    const impatient = new FraudstreamKafka({ clientId: uniqueName('outage-producer'), brokers, retry: { initialRetryTime: 100, retries: 2 }, logLevel: 0 });
    let acked = 0;
    let brokerStopped: Promise<void> | undefined;
    let restartFailed: (err: unknown) => void = () => {};
    const restarted = new Promise<never>((_, reject) => (restartFailed = reject));
    const outage = async (): Promise<void> => {
      await broker?.stop();
      broker = undefined;
      void (async () => {
        await sleep(10_000);
        broker = await startKafka({ port, dataDir, log: testLog, env: brokerEnv });
      })().catch(restartFailed);
    };
    const createProducer = (): Producer => {
      const producer = createIdempotentProducer(impatient);
      const sendBatch = producer.sendBatch.bind(producer);
      producer.sendBatch = async (batch) => {
        // The batch after the first OUTAGE_AFTER transactions goes out with the broker gone.
        if (acked >= OUTAGE_AFTER) await (brokerStopped ??= outage());
        const result = await sendBatch(batch);
        acked += batch.topicMessages?.find(({ topic }) => topic === names.transactions)?.messages.length ?? 0;
        return result;
      };
      return producer;
    };
    const log = testLog.child({});
    const warnings: Array<Record<string, unknown>> = [];
    log.warn = ((fields: Record<string, unknown>) => warnings.push(fields)) as typeof log.warn;

    const summary = await Promise.race([
      createProducerService({
        createProducer,
        backoff: { initialMs: 100, maxMs: 2_000 },
        source: simulatedSource(createSimulator(options)),
        topics: names,
        labelDelayMs: DAY_MS,
        pacing: { rate: 0, liveFromMs: Number.POSITIVE_INFINITY },
        log,
        batchSize: 100,
        maxEvents: TRANSACTIONS,
      }).run(),
      restarted,
    ]);
    expect(brokerStopped).toBeDefined();
    expect(summary).toMatchObject({ transactions: TRANSACTIONS, labels: expectedLabels.length, stoppedBy: 'max-events' });
    expect(summary.sendRetries).toBeGreaterThan(0);
    expect(summary.producerRecreations).toBeGreaterThan(0);
    expect(warnings).toHaveLength(summary.sendRetries);
    for (const warning of warnings) expect(warning).toMatchObject({ attempt: expect.any(Number), retryInMs: expect.any(Number) });

    const expectedIds = new Set(history.map((t) => t.transactionId));
    const expectedLabelIds = new Set(expectedLabels.map((t) => t.transactionId));
    const seen = (received: Parameters<typeof decodedTransactions>[0], topic: string) =>
      new Set(received.filter((entry) => entry.topic === topic).map((entry) => JSON.parse(String(entry.message.value)).transactionId as string));
    const received = await consumeUntil(
      kafka,
      [names.transactions, names.labels],
      (all) => seen(all, names.transactions).size >= expectedIds.size && seen(all, names.labels).size >= expectedLabelIds.size,
    );
    const transactions = decodedTransactions(received, names.transactions);
    const labels = decodedLabels(received, names.labels);
    const missing = [...expectedIds].filter((id) => !transactions.some((t) => t.value.transactionId === id));
    expect(missing).toEqual([]);
    expect(new Set(labels.map((l) => l.value.transactionId))).toEqual(expectedLabelIds);
    // Each label after the first copy of its transaction (record timestamps are the producer's clock).
    const firstCopyAt = new Map<string, number>();
    for (const { value, timestamp } of transactions) firstCopyAt.set(value.transactionId, Math.min(timestamp, firstCopyAt.get(value.transactionId) ?? Infinity));
    for (const label of labels) expect(label.timestamp).toBeGreaterThanOrEqual(firstCopyAt.get(label.value.transactionId) ?? Infinity);
  });
});
