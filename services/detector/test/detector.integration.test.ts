import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  DEAD_LETTER_MAX_VALUE_BYTES,
  createFeatureEngine,
  createMemoryFeatureStore,
  decodeDeadLetter,
  decodeAlert,
  type DecodeErrorCode,
  type Kafka,
  type Message,
  decodeScoredTransaction,
} from '@fraudstream/shared';
import { testKafka, uniqueName } from '../../../test/support/kafka.js';
import {
  defaultModel,
  detectorTopics,
  makeTransactions,
  messageOf,
  occurrences,
  produce,
  readTopic,
  REDIS_URL,
  redisPrefix,
  startDetector,
} from './support/harness.js';

const scoredIds = (messages: Array<{ value: Buffer | null }>): string[] =>
  messages.map((message) => {
    const decoded = decodeScoredTransaction(message.value);
    if (!decoded.ok) throw new Error(`bad scored message: ${decoded.error.message}`);
    return decoded.value.transactionId;
  });

/** One invalid message of each kind, in turn; returns the message and the reason it must be dead-lettered for. */
function invalidMessage(index: number): { message: Message; code: DecodeErrorCode } {
  const [valid] = makeTransactions(1, { firstId: 900_000 + index });
  const base = { ...valid, transactionId: `bad-${index}` };
  switch (index % 5) {
    case 0:
      return { message: { key: 'bad', value: Buffer.from(`{"transactionId": "bad-${index}",`) }, code: 'MALFORMED_JSON' };
    case 1:
      return { message: { key: 'bad', value: Buffer.from(JSON.stringify({ ...base, amount: -1 })) }, code: 'SCHEMA_VIOLATION' };
    case 2:
      return { message: { key: 'bad', value: Buffer.from(JSON.stringify({ ...base, schemaVersion: 9 })) }, code: 'UNKNOWN_VERSION' };
    case 3:
      return { message: { key: 'bad', value: Buffer.from(JSON.stringify({ ...base, cardId: '4111111111111111' })) }, code: 'SCHEMA_VIOLATION' };
    default:
      return { message: { key: 'bad', value: null }, code: 'EMPTY_MESSAGE' };
  }
}

describe('detector', () => {
  it('dead-letters 1,000 invalid messages with their reason, scores the 10,000 valid ones and keeps consuming', { timeout: 180_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 3);
    const transactions = makeTransactions(10_000, { days: 2 });
    const invalid = Array.from({ length: 1_000 }, (_, index) => invalidMessage(index));
    const messages: Message[] = [];
    transactions.forEach((transaction, index) => {
      messages.push(messageOf(transaction));
      if (index % 10 === 5) messages.push((invalid[(index - 5) / 10] as { message: Message }).message);
    });
    await produce(kafka, topics.transactions, messages);
    await startDetector({ kafka, topics, groupId: uniqueName('detector'), keyPrefix: redisPrefix() });

    const scored = await readTopic(kafka, topics.scored as string, (read) => read.length >= 10_000);
    const counts = occurrences(scoredIds(scored));
    expect(counts.size).toBe(10_000);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);

    const letters = await readTopic(kafka, topics.deadLetters, (read) => read.length >= 1_000);
    expect(letters).toHaveLength(1_000);
    const reasons = letters.map((message) => {
      const decoded = decodeDeadLetter(message.value);
      if (!decoded.ok) throw new Error(decoded.error.message);
      return decoded.value;
    });
    const expected = occurrences(invalid.map((entry) => entry.code));
    expect(occurrences(reasons.map((letter) => letter.error.code))).toEqual(expected);
    expect(reasons.every((letter) => letter.topic === topics.transactions && letter.error.message.length > 0)).toBe(true);
    const violation = reasons.find((letter) => letter.error.code === 'SCHEMA_VIOLATION' && letter.error.path === 'amount');
    expect(violation?.originalValue && JSON.parse(Buffer.from(violation.originalValue, 'base64').toString())).toMatchObject({ amount: -1 });

    // Still consuming: one more valid transaction after all that gets scored.
    const [late] = makeTransactions(1, { firstId: 50_000, days: 2 });
    await produce(kafka, topics.transactions, [messageOf({ ...late!, timestamp: '2018-04-03T00:00:00Z' })]);
    const after = await readTopic(kafka, topics.scored as string, (read) => read.length >= 10_001);
    expect(scoredIds(after)).toContain(late!.transactionId);

    const alerts = await readTopic(kafka, topics.alerts, (read) => read.length > 0, 5_000);
    const decodedAlerts = alerts.map((message) => decodeAlert(message.value));
    expect(decodedAlerts.length).toBeGreaterThan(0);
    for (const alert of decodedAlerts) {
      // Up to three reasons, each one that raised the score, in words.
      const reasons = alert.ok ? alert.value.reasons : [];
      expect(reasons.length).toBeGreaterThan(0);
      expect(reasons.length).toBeLessThanOrEqual(3);
      expect(reasons.every((reason) => reason.contribution > 0 && typeof reason.text === 'string')).toBe(true);
    }
  });

  it('scales from 1 to 3 to 2 replicas under load without losing or duplicating a transaction', { timeout: 180_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 6);
    const groupId = uniqueName('detector');
    const keyPrefix = redisPrefix();
    const transactions = makeTransactions(9_000, { days: 3 });
    const thirds = [0, 3_000, 6_000, 9_000];
    const third = (k: number) => transactions.slice(thirds[k], thirds[k + 1]).map(messageOf);

    const first = await startDetector({ kafka, topics, groupId, keyPrefix });
    await produce(kafka, topics.transactions, third(0), 500);
    await readTopic(kafka, topics.scored as string, (read) => read.length >= 1_000);

    const [second, thirdReplica] = await Promise.all([
      startDetector({ kafka, topics, groupId, keyPrefix }),
      startDetector({ kafka, topics, groupId, keyPrefix }),
      produce(kafka, topics.transactions, third(1), 250),
    ]);
    await readTopic(kafka, topics.scored as string, (read) => read.length >= 5_000);

    await Promise.all([first.stop(), produce(kafka, topics.transactions, third(2), 250)]);
    const scored = await readTopic(kafka, topics.scored as string, (read) => read.length >= 9_000);
    expect(second.detector.status().assigned.length + thirdReplica.detector.status().assigned.length).toBe(6);

    const counts = occurrences(scoredIds(scored));
    expect(counts.size).toBe(9_000);
    expect([...counts.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    // Nothing more trickles in: the output is complete and duplicate-free.
    const settled = await readTopic(kafka, topics.scored as string, (read) => read.length > 9_000, 2_000);
    expect(settled).toHaveLength(9_000);
  });
});

/** Waits until the group has committed offsets summing to `total` over the topic's partitions (each message once). */
async function committedUpTo(kafka: Kafka, groupId: string, topic: string, total: number, timeoutMs = 90_000): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const giveUpAt = Date.now() + timeoutMs;
    for (;;) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committed = (offsets?.partitions ?? []).reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
      if (committed >= total || Date.now() > giveUpAt) return committed;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

describe('detector without a scored topic', () => {
  it('commits a batch with nothing to write as its offsets alone, and every alert once across a rebalance', { timeout: 180_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 6, false);
    const groupId = uniqueName('detector');
    const keyPrefix = redisPrefix();
    const transactions = makeTransactions(4_000, { days: 3 });
    // The alerts expected: what the model flags with the same engine offline (in memory, in order).
    const model = await defaultModel();
    const engine = createFeatureEngine(createMemoryFeatureStore());
    const scores = await model.predict(await engine.transform(transactions), transactions.length);
    const expected = transactions.filter((_, index) => scores[index]! >= model.threshold).map((tx) => tx.transactionId);
    expect(expected.length).toBeGreaterThan(20);

    // Produced in small sends, so that most batches hold no flagged transaction.
    const first = await startDetector({ kafka, topics, groupId, keyPrefix });
    await produce(kafka, topics.transactions, transactions.slice(0, 2_000).map(messageOf), 12);
    expect(await committedUpTo(kafka, groupId, topics.transactions, 2_000)).toBe(2_000);
    const second = await startDetector({ kafka, topics, groupId, keyPrefix });
    await Promise.all([first.stop(), produce(kafka, topics.transactions, transactions.slice(2_000).map(messageOf), 12)]);
    expect(await committedUpTo(kafka, groupId, topics.transactions, 4_000)).toBe(4_000);

    const alerts = await readTopic(kafka, topics.alerts, (read) => read.length >= expected.length, 30_000);
    const alerted = alerts.map((message) => {
      const decoded = decodeAlert(message.value);
      if (!decoded.ok) throw new Error(`bad alert: ${decoded.error.message}`);
      return decoded.value.transaction.transactionId;
    });
    expect([...occurrences(alerted)].filter(([, count]) => count !== 1)).toEqual([]);
    expect(new Set(alerted)).toEqual(new Set(expected));
    // Both ways of committing were taken, by both replicas together.
    const commits = async (kind: string) =>
      (await Promise.all([first, second].map(async ({ metrics }) => (await metrics.commits.get()).values.find((value) => value.labels.kind === kind)?.value ?? 0))).reduce(
        (sum, count) => sum + count,
        0,
      );
    expect(await commits('offsets')).toBeGreaterThan(0);
    expect(await commits('transaction')).toBeGreaterThan(0);
  });
});

describe('detector under hostile input', () => {
  it('dead-letters a 900 KB message (truncated, with its hash) and a transaction dated 2999, and goes on scoring', { timeout: 180_000 }, async () => {
    const kafka = testKafka();
    const topics = await detectorTopics(kafka, 1);
    const keyPrefix = redisPrefix();
    const transactions = makeTransactions(400, { days: 1, cards: 5 });
    const poison = Buffer.from(JSON.stringify({ schemaVersion: 1, transactionId: 'poison', padding: 'x'.repeat(900_000) }));
    const [victim] = transactions;
    const future = { ...victim!, transactionId: 'tx-from-2999', timestamp: '2999-01-01T00:00:00Z' };
    const messages = transactions.map(messageOf);
    messages.splice(200, 0, { key: 'poison', value: poison }, messageOf(future));
    await produce(kafka, topics.transactions, messages, 100);
    const { detector, metrics } = await startDetector({ kafka, topics, groupId: uniqueName('detector'), keyPrefix });

    const scored = await readTopic(kafka, topics.scored as string, (read) => read.length >= 400);
    expect(new Set(scoredIds(scored))).toEqual(new Set(transactions.map((transaction) => transaction.transactionId)));
    const letters = (await readTopic(kafka, topics.deadLetters, (read) => read.length >= 2)).map((message) => {
      const decoded = decodeDeadLetter(message.value);
      if (!decoded.ok) throw new Error(decoded.error.message);
      return { letter: decoded.value, bytes: message.value?.length ?? 0 };
    });
    expect(letters.map(({ letter }) => letter.error.code).sort()).toEqual(['EVENT_TIME_AHEAD', 'MESSAGE_TOO_LARGE']);
    const large = letters.find(({ letter }) => letter.error.code === 'MESSAGE_TOO_LARGE')!;
    expect(large.letter.valueTruncated).toEqual({ bytes: poison.length, sha256: createHash('sha256').update(poison).digest('hex') });
    expect(Buffer.from(large.letter.originalValue ?? '', 'base64')).toEqual(poison.subarray(0, DEAD_LETTER_MAX_VALUE_BYTES));
    expect(large.bytes).toBeLessThan(200_000);
    const ahead = letters.find(({ letter }) => letter.error.code === 'EVENT_TIME_AHEAD')!;
    expect(ahead.letter.error.path).toBe('timestamp');
    expect(JSON.parse(Buffer.from(ahead.letter.originalValue ?? '', 'base64').toString())).toMatchObject({ transactionId: 'tx-from-2999' });
    expect((await metrics.eventTimeRejected.get()).values[0]?.value).toBe(1);

    // Nothing was erased or moved: the card keeps its history, the partition its 2018 event time.
    const redis = new Redis(REDIS_URL);
    onTestFinished(async () => void (await redis.quit()));
    const cardHistory = await redis.zcard(`${keyPrefix}card:${victim!.cardId}`);
    expect(cardHistory).toBe(transactions.filter((transaction) => transaction.cardId === victim!.cardId).length);
    const times = await redis.hgetall(`${keyPrefix}detector:progress:${topics.transactions}:times`);
    expect(Number(times['0'])).toBeLessThan(Date.UTC(2018, 3, 3));

    // Still consuming, and says so.
    const [late] = makeTransactions(1, { firstId: 50_000, days: 1 });
    await produce(kafka, topics.transactions, [messageOf({ ...late!, timestamp: '2018-04-02T00:00:00Z' })]);
    const after = await readTopic(kafka, topics.scored as string, (read) => read.length >= 401);
    expect(scoredIds(after)).toContain(late!.transactionId);
    expect(detector.notReady()).toEqual([]);
  });
});
