/**
 * The whole system (its own single Kafka broker, two detectors on Redis, the alerts service on
 * PostgreSQL, the producer replaying a simulated CSV at a steady rate) through three faults: a message
 * too large to dead-letter as it came, a transaction dated 2999 on a card in use, and the broker
 * SIGKILLed and restarted on the same data under traffic. The stored alerts must be exactly what the
 * offline scorer flags in the CSV, every service must say it is not ready while the broker is away, and
 * be ready again after.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardIdFor, createKafkaForBrokers, decodeDeadLetter, encode, terminalIdFor, topics, type Transaction } from '@fraudstream/shared';
import { freePort, startKafka, type RunningKafka } from '../../scripts/kafka/local-broker.js';
import type { RunningSystem } from '../../scripts/start/system.js';
import { driftSummary, expectAlertsOfReplay, readyUrls, removeWork, startFaultSystem, throughOutage } from '../support/faults.js';
import { testLog } from '../support/kafka.js';
import { createTestDatabase, deleteRedisKeys, eventually, REDIS_URL, simulatedReplay, type Replay } from '../support/system.js';

const START = '2026-02-01';

describe('faults: poison pill, far-future event, broker SIGKILL and restart under traffic', () => {
  const work = mkdtempSync(join(tmpdir(), 'fraudstream-fault-broker-'));
  const redisPrefix = `test-fault-broker-${randomBytes(4).toString('hex')}:`;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let kafka: RunningKafka;
  let system: RunningSystem;
  let replay: Replay;

  beforeAll(async () => {
    database = await createTestDatabase('fraudstream_fault_broker');
    replay = await simulatedReplay(work, { customers: 300, days: 21, start: START, seed: 11 });
    kafka = await startKafka({ port: await freePort(), dataDir: join(work, 'kafka'), env: { ...process.env, KAFKA_BROKERS: undefined }, log: testLog });
    system = await startFaultSystem(work, {
      kafkaBrokers: kafka.brokers.split(','),
      redisUrl: REDIS_URL,
      redisKeyPrefix: redisPrefix,
      databaseUrl: database.url,
      detectors: 2,
    });
  }, 300_000);

  afterAll(async () => {
    await system?.stop();
    await kafka?.stop();
    await database?.drop();
    await deleteRedisKeys(REDIS_URL, redisPrefix);
    removeWork(work);
  }, 120_000);

  it('stores exactly the alerts the offline scorer flags, and every service is ready again', async () => {
    expect(replay.expected.size).toBeGreaterThan(100);
    const producer = system.startProducer(['--replay', replay.csv, '--rate', '300']);

    // Hostile input while the stream runs: 900 KB that is no transaction, and a payment from 2999 on a
    // card of the replay (scored, it would trim that card's history to nothing and move its partition
    // to 2999: every later score of the card and its partition would then differ from the offline ones).
    const client = createKafkaForBrokers(kafka.brokers.split(','), testLog, 'fault-injector');
    const injector = client.producer({ idempotent: true });
    await injector.connect();
    const future: Transaction = {
      schemaVersion: 1, transactionId: 'from-2999', timestamp: '2999-01-01T00:00:00Z', cardId: cardIdFor(0), terminalId: terminalIdFor(0), amount: 42, currency: 'EUR',
    };
    await sleep(3_000);
    await injector.send({
      topic: topics.transactions,
      acks: -1,
      messages: [
        { key: cardIdFor(1), value: Buffer.from(JSON.stringify({ schemaVersion: 1, transactionId: 'poison', padding: 'x'.repeat(900_000) })) },
        { key: future.cardId, value: encode(future) },
      ],
    });
    await injector.disconnect();

    // The broker goes away for 20 s under traffic, SIGKILLed, and comes back on the same data.
    await sleep(3_000);
    const broker = kafka.nodes[0]!;
    const outage = await throughOutage({ watch: readyUrls(system), down: () => broker.kill('SIGKILL'), up: () => broker.start(), forMs: 20_000 });
    for (const url of system.detectorUrls.map((detector) => `${detector}/readyz`)) {
      expect(outage.seen(url), `${url} said it was not ready during the outage`).toContain(503);
    }

    const { code } = await producer.exited;
    expect(code, producer.tail()).toBe(0);
    const alerts = await expectAlertsOfReplay(system, replay, { redisUrl: REDIS_URL, prefix: redisPrefix, brokers: kafka.brokers.split(',') });
    console.log(`[faults] broker down 20 s: every alert stored ${((alerts.storedAtMs - outage.backAtMs) / 1000).toFixed(1)} s after it was back, producer exit 0, ${driftSummary(alerts)}`);
    expect(system.services().filter((service) => !service.running()).map((service) => service.name)).toEqual(['producer']);

    const letters = await deadLetters(kafka.brokers, 2);
    expect(letters.sort()).toEqual(['EVENT_TIME_AHEAD from-2999', 'MESSAGE_TOO_LARGE']);
  }, 600_000);
});

/** The committed dead letters on the system's DLQ (at least `expected`), as "<code> <transactionId>" (the id when the original still parses). */
async function deadLetters(brokers: string, expected: number): Promise<string[]> {
  const client = createKafkaForBrokers(brokers.split(','), testLog, 'fault-dlq-reader');
  const consumer = client.consumer({ groupId: `fault-dlq-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.transactionsDeadLetter], fromBeginning: true });
  const letters: string[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const decoded = decodeDeadLetter(message.value);
      if (!decoded.ok) throw new Error(decoded.error.message);
      const letter = decoded.value;
      const original = letter.valueTruncated ? undefined : (JSON.parse(Buffer.from(letter.originalValue ?? '', 'base64').toString()) as { transactionId?: string });
      letters.push(original?.transactionId ? `${letter.error.code} ${original.transactionId}` : letter.error.code);
    },
  });
  await eventually(`${expected} dead letters`, async () => (letters.length >= expected ? true : undefined), 30_000);
  // Any more on their way (a duplicate would be a bug) arrive meanwhile.
  await sleep(2_000);
  await consumer.disconnect();
  return letters;
}
