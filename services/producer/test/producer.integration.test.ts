import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Label, type Producer, type Transaction } from '@fraudstream/shared';
import { createTestTopics, testKafka, testLog, uniqueName } from '../../../test/support/kafka.js';
import { createIdempotentProducer, createProducerService } from '../src/producer.js';
import { DAY_MS } from '@fraudstream/shared';
import { createSimulator } from '../src/simulator/simulator.js';
import { replaySource, simulatedSource, type SourceEvent, type TransactionSource } from '../src/sources.js';
import { consumeUntil, decodedLabels, decodedTransactions } from './support/consume.js';

const HOUR_MS = 3_600_000;
const topics = { transactions: 'tx', labels: 'labels' };

/** Records what would be produced, in order: an in-memory stand-in for the one method the service uses. */
function recordingProducer() {
  const sent: Array<{ topic: string; key: string; value: Transaction | Label; request: number }> = [];
  const requests: number[] = [];
  const producer: Pick<Producer, 'sendBatch'> = {
    sendBatch: async ({ topicMessages = [] }) => {
      requests.push(topicMessages.reduce((sum, { messages }) => sum + messages.length, 0));
      for (const { topic, messages } of topicMessages) {
        for (const message of messages) {
          const value = JSON.parse(String(message.value)) as Transaction | Label;
          sent.push({ topic, key: String(message.key), value, request: requests.length });
        }
      }
      return [];
    },
  };
  return { producer, sent, requests };
}

function eventAt(id: number, timestampMs: number, fraud: boolean): SourceEvent {
  return {
    transaction: {
      schemaVersion: 1,
      transactionId: String(id).padStart(12, '0'),
      timestamp: new Date(timestampMs).toISOString(),
      cardId: `card-${id % 3}`,
      terminalId: `term-${id % 5}`,
      amount: 10,
      currency: 'EUR',
    },
    timestampMs,
    fraud,
  };
}

function listSource(events: SourceEvent[], finite = true): TransactionSource {
  async function* chunks() {
    for (let i = 0; i < events.length; i += 3) yield events.slice(i, i + 3);
  }
  return { events: chunks(), finite, badRows: () => 0 };
}

const t0 = Date.UTC(2018, 3, 1);

describe('createProducerService (recorded sends)', () => {
  it('sends each label after every transaction up to its time, before the later ones, and the rest at the end', async () => {
    const events = [
      eventAt(0, t0, true), // label due t0 + 1 h
      eventAt(1, t0 + 30 * 60_000, false),
      eventAt(2, t0 + HOUR_MS, true), // at exactly the first label's time: the label waits for it
      eventAt(3, t0 + HOUR_MS + 1_000, false),
      eventAt(4, t0 + 3 * HOUR_MS, false),
      eventAt(5, t0 + 3 * HOUR_MS + 1, true), // due after the last transaction: sent at the end
    ];
    const { producer, sent } = recordingProducer();
    const service = createProducerService({
      producer,
      source: listSource(events),
      topics,
      labelDelayMs: HOUR_MS,
      pacing: { rate: 0, liveFromMs: Number.NEGATIVE_INFINITY },
      log: testLog,
    });
    const summary = await service.run();
    // Messages of one produce request go out together, but a request's partitions may be written at
    // different times: a label never shares one with a transaction, before or after its time.
    const byRequest = Array.from({ length: Math.max(...sent.map(({ request }) => request)) }, (_, index) =>
      sent.filter(({ request }) => request === index + 1).map(({ topic, value }) => `${topic}:${Number(value.transactionId)}`),
    );
    expect(byRequest).toEqual([['tx:0', 'tx:1', 'tx:2'], ['labels:0'], ['tx:3'], ['labels:2'], ['tx:4', 'tx:5'], ['labels:5']]);
    // A label's request comes after every transaction up to its time, and before every later one.
    for (const label of sent.filter(({ topic }) => topic === 'labels')) {
      const dueMs = Date.parse((label.value as Label).labeledAt);
      for (const transaction of sent.filter(({ topic }) => topic === 'tx')) {
        const atMs = Date.parse((transaction.value as Transaction).timestamp);
        if (atMs <= dueMs) expect(transaction.request).toBeLessThan(label.request);
        else if (transaction.value.transactionId !== '000000000005') expect(transaction.request).toBeGreaterThan(label.request);
      }
    }
    expect(sent.every(({ key, value }) => key === value.cardId)).toBe(true);
    const label = sent.find(({ topic }) => topic === 'labels')?.value as Label;
    expect(label).toMatchObject({ source: 'chargeback', fraud: true, labeledAt: new Date(t0 + HOUR_MS).toISOString() });
    expect(summary).toMatchObject({ transactions: 6, labels: 3, labelsNotDue: 0, stoppedBy: 'end-of-source', outOfOrder: 0 });
  });

  it('stops after max events, sending what it queued and leaving labels not yet due', async () => {
    const events = Array.from({ length: 50 }, (_, i) => eventAt(i, t0 + i * 60_000, i % 10 === 0));
    const { producer, sent, requests } = recordingProducer();
    const summary = await createProducerService({
      producer,
      source: listSource(events, false),
      topics,
      labelDelayMs: 15 * 60_000,
      pacing: { rate: 0, liveFromMs: Number.POSITIVE_INFINITY },
      log: testLog,
      batchSize: 4,
      maxEvents: 25,
    }).run();
    // Frauds at minutes 0, 10, 20, due 15 minutes later: only the first is due before the last
    // transaction (minute 24).
    expect(summary).toMatchObject({ transactions: 25, labels: 1, labelsNotDue: 2, stoppedBy: 'max-events' });
    expect(sent.filter(({ topic }) => topic === 'tx')).toHaveLength(25);
    expect(Math.max(...requests)).toBeLessThanOrEqual(4);
  });

  it('paces live transactions at the rate and stops at once when asked', async () => {
    const events = Array.from({ length: 10_000 }, (_, i) => eventAt(i, t0 + i * 1_000, false));
    const { producer, sent } = recordingProducer();
    const service = createProducerService({
      producer,
      source: listSource(events, false),
      topics,
      labelDelayMs: DAY_MS,
      pacing: { rate: 50, liveFromMs: t0 + 100_000 },
      log: testLog,
    });
    const running = service.run();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const stoppedAt = performance.now();
    await service.stop();
    const summary = await running;
    expect(performance.now() - stoppedAt).toBeLessThan(200);
    expect(summary.stoppedBy).toBe('stopped');
    // 100 history transactions at once, then about 50 a second live: far fewer than all of them.
    expect(summary.transactions).toBeGreaterThanOrEqual(100);
    expect(summary.transactions).toBeLessThan(100 + 60);
    expect(sent).toHaveLength(summary.transactions);
  });
});

describe('createProducerService against the broker', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('backfills history: every transaction and the labels due, keyed by card, each label after its transaction', async () => {
    const kafka = testKafka();
    const names = { transactions: uniqueName('transactions'), labels: uniqueName('labels') };
    await createTestTopics(kafka, [
      { topic: names.transactions, partitions: 3 },
      { topic: names.labels, partitions: 3 },
    ]);
    const options = { customers: 300, terminals: 600, seed: 21, startMs: t0 };
    const reference = createSimulator(options);
    const history = Array.from({ length: 10 }, () => reference.nextDay()).flat();
    const lastMs = history.at(-1)!.timestampMs;
    const expectedLabels = history.filter((t) => t.fraud && t.timestampMs + 7 * DAY_MS < lastMs);
    expect(expectedLabels.length).toBeGreaterThan(20);

    const summary = await createProducerService({
      createProducer: () => createIdempotentProducer(kafka),
      source: simulatedSource(createSimulator(options)),
      topics: names,
      labelDelayMs: 7 * DAY_MS,
      pacing: { rate: 5, liveFromMs: t0 + 10 * DAY_MS },
      log: testLog,
      maxEvents: history.length,
    }).run();
    expect(summary).toMatchObject({
      transactions: history.length,
      labels: expectedLabels.length,
      stoppedBy: 'max-events',
      sendRetries: 0,
      producerRecreations: 0,
    });

    const received = await consumeUntil(
      kafka,
      [names.transactions, names.labels],
      (all) => all.length >= history.length + expectedLabels.length,
    );
    const transactions = decodedTransactions(received, names.transactions);
    const labels = decodedLabels(received, names.labels);
    expect(transactions.map((t) => t.value.transactionId).sort()).toEqual(history.map((t) => t.transactionId).sort());
    expect(labels.map((l) => l.value.transactionId).sort()).toEqual(expectedLabels.map((t) => t.transactionId).sort());
    for (const { key, value } of [...transactions, ...labels]) expect(key).toBe(value.cardId);
    const sentAt = new Map(transactions.map((t) => [t.value.transactionId, t]));
    for (const label of labels) {
      const transaction = sentAt.get(label.value.transactionId);
      expect(transaction?.value.timestamp).toBe(label.value.transactionTimestamp);
      expect(Date.parse(label.value.labeledAt) - Date.parse(label.value.transactionTimestamp)).toBe(7 * DAY_MS);
      expect(label.value).toMatchObject({ fraud: true, source: 'chargeback' });
      // Appended after its transaction (the producer sets record timestamps when it sends).
      expect(label.timestamp).toBeGreaterThanOrEqual(transaction!.timestamp);
    }
  });

  it('replays a CSV with a malformed row: reported by line, counted, the rest streamed, pending labels sent at the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fraudstream-replay-'));
    dirs.push(dir);
    const csv = join(dir, 'replay.csv');
    const rows = Array.from({ length: 40 }, (_, i) => {
      const time = new Date(t0 + i * 6 * HOUR_MS).toISOString().slice(0, 19).replace('T', ' ');
      return `${i},${time},${i % 6},${i % 9},${(10 + i).toFixed(2)},${i % 8 === 0 ? 1 : 0}`;
    });
    rows.splice(12, 0, '999,2018-04-04 00:00:00,1,2,not-a-number,0');
    writeFileSync(csv, `TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n${rows.join('\n')}\n`);

    const kafka = testKafka();
    const names = { transactions: uniqueName('transactions'), labels: uniqueName('labels') };
    await createTestTopics(kafka, [
      { topic: names.transactions, partitions: 2 },
      { topic: names.labels, partitions: 2 },
    ]);
    const bad: Array<{ line: number; reason: string }> = [];
    const summary = await createProducerService({
      createProducer: () => createIdempotentProducer(kafka),
      source: replaySource(csv, ({ line, reason }) => bad.push({ line, reason })),
      topics: names,
      labelDelayMs: 7 * DAY_MS,
      pacing: { rate: 0, liveFromMs: Number.NEGATIVE_INFINITY },
      log: testLog,
    }).run();

    expect(bad).toEqual([{ line: 14, reason: 'TX_AMOUNT: expected a number >= 0, got "not-a-number"' }]);
    // Frauds are rows 0, 8, 16, 24, 32: all five labels, those due after the file's end included.
    expect(summary).toMatchObject({ transactions: 40, labels: 5, badRows: 1, labelsNotDue: 0, stoppedBy: 'end-of-source' });
    const received = await consumeUntil(kafka, [names.transactions, names.labels], (all) => all.length >= 45);
    expect(decodedTransactions(received, names.transactions).map((t) => Number(t.value.transactionId)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    expect(decodedLabels(received, names.labels).map((l) => Number(l.value.transactionId)).sort((a, b) => a - b)).toEqual([0, 8, 16, 24, 32]);
  });

  it('replaces a producer whose session ended (out of order sequence number) and resends its batch: no transaction lost', async () => {
    const kafka = testKafka();
    const names = { transactions: uniqueName('transactions'), labels: uniqueName('labels') };
    await createTestTopics(kafka, [
      { topic: names.transactions, partitions: 3 },
      { topic: names.labels, partitions: 3 },
    ]);
    const options = { customers: 200, terminals: 400, seed: 5, startMs: t0 };
    const reference = createSimulator(options);
    const history = Array.from({ length: 4 }, () => reference.nextDay()).flat();

    // The first producer's third batch is written, then answered as kafkajs answers a sequence
    // number the broker refused: the service must resend that batch (whole) on a new producer.
    const created: Producer[] = [];
    const disconnected: number[] = [];
    let resentTransactions = 0;
    const createProducer = (): Producer => {
      const producer = createIdempotentProducer(kafka);
      const index = created.push(producer) - 1;
      const disconnect = producer.disconnect.bind(producer);
      producer.disconnect = async () => {
        disconnected.push(index);
        await disconnect();
      };
      if (index === 0) {
        const sendBatch = producer.sendBatch.bind(producer);
        let calls = 0;
        producer.sendBatch = async (batch) => {
          const result = await sendBatch(batch);
          if (++calls === 3) {
            resentTransactions = batch.topicMessages?.find(({ topic }) => topic === names.transactions)?.messages.length ?? 0;
            throw Object.assign(new Error('The broker received an out of order sequence number'), {
              name: 'KafkaJSProtocolError',
              type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
              code: 45,
              retriable: false,
            });
          }
          return result;
        };
      }
      return producer;
    };
    const log = testLog.child({});
    const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
    log.warn = ((fields: Record<string, unknown>, message?: string) => warnings.push({ fields, message: message ?? '' })) as typeof log.warn;
    const summary = await createProducerService({
      createProducer,
      source: simulatedSource(createSimulator(options)),
      topics: names,
      labelDelayMs: DAY_MS,
      pacing: { rate: 0, liveFromMs: Number.POSITIVE_INFINITY },
      log,
      batchSize: 100,
      maxEvents: history.length,
    }).run();
    expect(summary).toMatchObject({ transactions: history.length, stoppedBy: 'max-events', sendRetries: 1, producerRecreations: 1 });
    expect(created).toHaveLength(2);
    expect(warnings).toEqual([
      { fields: expect.objectContaining({ attempt: 1, retryInMs: 100, newClient: true }), message: 'send failed; retrying' },
    ]);
    expect(disconnected).toEqual([0, 1]);
    expect(resentTransactions).toBeGreaterThan(0);
    expect(summary.labels).toBeGreaterThan(0);

    const received = await consumeUntil(
      kafka,
      [names.transactions, names.labels],
      (all) =>
        all.filter(({ topic }) => topic === names.transactions).length >= history.length + resentTransactions &&
        all.filter(({ topic }) => topic === names.labels).length >= summary.labels,
    );
    const transactions = decodedTransactions(received, names.transactions);
    // Every transaction, and a second copy of the resent batch's only.
    expect(transactions).toHaveLength(history.length + resentTransactions);
    expect([...new Set(transactions.map((t) => t.value.transactionId))].sort()).toEqual(history.map((t) => t.transactionId).sort());
    const firstCopyAt = new Map<string, number>();
    for (const { value, timestamp } of transactions) firstCopyAt.set(value.transactionId, Math.min(timestamp, firstCopyAt.get(value.transactionId) ?? Infinity));
    const labels = decodedLabels(received, names.labels);
    expect(labels.length).toBeGreaterThanOrEqual(summary.labels);
    for (const label of labels) expect(label.timestamp).toBeGreaterThanOrEqual(firstCopyAt.get(label.value.transactionId) ?? Infinity);
  });
});

