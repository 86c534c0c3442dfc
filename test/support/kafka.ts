import { randomBytes } from 'node:crypto';
import { inject, onTestFinished } from 'vitest';
import { createKafkaForBrokers, createLogger, ensureTopics, type Kafka, type TopicSpec } from '@fraudstream/shared';

/** A name no other test uses: `prefix-<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

export const testLog = createLogger({ name: 'test', level: 'warn', pretty: false });

/** A kafkajs client for the run's broker (see test/setup/kafka.ts). */
export function testKafka(clientId = uniqueName('test-client')): Kafka {
  return createKafkaForBrokers(inject('kafkaBrokers').split(','), testLog, clientId);
}

/** Creates fresh topics for one test and deletes them when the test ends. */
export async function createTestTopics(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, specs);
  onTestFinished(async () => {
    await admin.deleteTopics({ topics: specs.map((spec) => spec.topic) }).catch(() => {});
    await admin.disconnect();
  });
}

/**
 * A consumer group that exists and has joined (its coordinator loaded): what a transaction's offsets
 * are committed for. Its consumer leaves when the test ends.
 */
export async function joinedGroup(kafka: Kafka, topic: string): Promise<string> {
  const groupId = uniqueName('group');
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  onTestFinished(() => consumer.disconnect());
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.subscribe({ topics: [topic] });
  await consumer.run({ eachMessage: async () => {} });
  await joined;
  return groupId;
}
