import { describe, expect, it, onTestFinished } from 'vitest';
import { encode, ensureTopics, type KafkaMessage, type Transaction } from '@fraudstream/shared';
import { createTestTopics, testKafka, uniqueName } from '../../../test/support/kafka.js';

function transactionFor(index: number, cards: number): Transaction {
  return {
    schemaVersion: 1,
    transactionId: `tx-${index}`,
    timestamp: new Date(Date.UTC(2018, 3, 1) + index * 1000).toISOString(),
    cardId: `card-${index % cards}`,
    terminalId: `term-${index % 97}`,
    amount: 10 + (index % 100),
    currency: 'EUR',
  };
}

describe('Kafka (real broker)', () => {
  it('reports the cluster it talks to', async () => {
    const admin = testKafka().admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.length).toBeGreaterThan(0);
    expect(cluster.clusterId).toMatch(/\S+/);
  });

  it('creates topics idempotently', async () => {
    const kafka = testKafka();
    const topic = uniqueName('idempotent');
    await createTestTopics(kafka, [{ topic, partitions: 3, retentionMs: 3_600_000 }]);
    const admin = kafka.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    expect(await ensureTopics(admin, [{ topic, partitions: 3 }])).toEqual([]);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: ['retention.ms'] }] });
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('3600000');
  });

  it('returns once every partition is served: a fresh producer without retries writes to each at once', async () => {
    const kafka = testKafka();
    const topic = uniqueName('served');
    const partitions = 8;
    await createTestTopics(kafka, [{ topic, partitions }]);
    const producer = kafka.producer({ retry: { retries: 0 }, allowAutoTopicCreation: false });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const written = await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: partitions }, (_, partition) => ({ partition, value: `to ${partition}` })),
    });
    expect(written.map((record) => record.partition).sort((a, b) => a - b)).toEqual([...Array(partitions).keys()]);
    const admin = kafka.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map(({ partition, high }) => [partition, high]).sort(([a], [b]) => Number(a) - Number(b))).toEqual(
      [...Array(partitions).keys()].map((partition) => [partition, '1']),
    );
  });

  it('replicates a topic without a replication factor min(3, brokers) times, with min.insync.replicas 2 from 3 on', async () => {
    const kafka = testKafka();
    const topic = uniqueName('replicated');
    await createTestTopics(kafka, [{ topic, partitions: 2 }]);
    const admin = kafka.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    const brokers = (await admin.describeCluster()).brokers.length;
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    for (const partition of metadata.topics[0]?.partitions ?? []) expect(partition.replicas).toHaveLength(Math.min(3, brokers));
    const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: ['min.insync.replicas'] }] });
    const minIsr = configs.resources[0]?.configEntries[0];
    // Config source 1 is the topic's own configuration, rather than the broker's.
    if (brokers >= 3) expect(minIsr).toMatchObject({ configValue: '2', configSource: 1 });
    else expect(minIsr?.configSource).not.toBe(1);
  });

  it('delivers 10,000 keyed transactions to a group of 2 exactly once, in order per card', async () => {
    const kafka = testKafka();
    const topic = uniqueName('transactions');
    const groupId = uniqueName('group');
    const total = 10_000;
    const cards = 250;
    await createTestTopics(kafka, [{ topic, partitions: 6 }]);

    const received = new Map<string, number>();
    const perCard = new Map<string, number[]>();
    const partitionsOfCard = new Map<string, Set<number>>();
    const membersSeen = new Set<number>();
    let done!: () => void;
    const allReceived = new Promise<void>((resolve) => (done = resolve));

    // Both members must hold their share of a stable generation before anything is produced, so
    // no rebalance happens mid-stream.
    const joins = new Map<number, number>();
    let stable!: () => void;
    const groupStable = new Promise<void>((resolve) => (stable = resolve));

    const consumers = [0, 1].map(() => kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 }));
    for (const [member, consumer] of consumers.entries()) {
      onTestFinished(() => consumer.disconnect());
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const partitions = Object.values(payload.memberAssignment).reduce((sum, list) => sum + list.length, 0);
        joins.set(member, partitions);
        if (joins.size === 2 && [...joins.values()].every((count) => count === 3)) stable();
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          membersSeen.add(member);
          const transaction = JSON.parse(message.value?.toString() ?? '{}') as Transaction;
          expect(message.key?.toString()).toBe(transaction.cardId);
          received.set(transaction.transactionId, (received.get(transaction.transactionId) ?? 0) + 1);
          const index = Number(transaction.transactionId.slice(3));
          perCard.set(transaction.cardId, [...(perCard.get(transaction.cardId) ?? []), index]);
          partitionsOfCard.set(transaction.cardId, (partitionsOfCard.get(transaction.cardId) ?? new Set()).add(partition));
          if (received.size === total) done();
        },
      });
    }
    await groupStable;

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    for (let start = 0; start < total; start += 1000) {
      const messages = [];
      for (let index = start; index < start + 1000; index += 1) {
        const transaction = transactionFor(index, cards);
        messages.push({ key: transaction.cardId, value: encode(transaction) });
      }
      await producer.send({ topic, acks: -1, messages });
    }
    await allReceived;
    // Anything delivered twice would show up shortly after the last new message.
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(received.size).toBe(total);
    expect([...received.values()].every((count) => count === 1)).toBe(true);
    for (const indexes of perCard.values()) {
      expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    }
    expect([...partitionsOfCard.values()].every((partitions) => partitions.size === 1)).toBe(true);
    expect(membersSeen.size).toBe(2);
  });

  it('hides from a read-committed consumer the messages of aborted transactions that interleave (kafkajs mended, see mends/read-committed.ts)', async () => {
    const kafka = testKafka();
    const topic = uniqueName('aborted');
    await createTestTopics(kafka, [{ topic, partitions: 1 }]);
    const producers = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const producer = kafka.producer({ transactionalId: `${topic}-${n}`, idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
        onTestFinished(() => producer.disconnect());
        return producer;
      }),
    );
    const transactions = await Promise.all(producers.map((producer) => producer.transaction()));
    // Offsets 0, 1, 2 and 3, from three transactions open at once; all three are aborted.
    for (const [index, transaction] of transactions.entries()) await transaction.send({ topic, messages: [{ value: `aborted ${index}` }] });
    await transactions[2]!.send({ topic, messages: [{ value: 'aborted 2, again' }] });
    for (const transaction of transactions) await transaction.abort();
    const plain = kafka.producer();
    await plain.connect();
    onTestFinished(() => plain.disconnect());
    await plain.send({ topic, messages: [{ value: 'committed' }] });

    // A consumer that starts at offset 3, after the three transactions began (as after a restart).
    const groupId = uniqueName('reader');
    const admin = kafka.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }] });
    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 });
    await consumer.connect();
    onTestFinished(() => consumer.disconnect());
    await consumer.subscribe({ topics: [topic] });
    const seen: KafkaMessage[] = [];
    const committed = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message);
          if (message.value?.toString() === 'committed') resolve();
        },
      });
    });
    await committed;
    expect(seen.map((message) => message.value?.toString())).toEqual(['committed']);
  });
});
