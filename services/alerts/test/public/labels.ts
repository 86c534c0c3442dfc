import { onTestFinished } from 'vitest';
import { decodeLabel, type Kafka, type Label } from '@fraudstream/shared';
import { createTestTopics, testLog, uniqueName } from '../../../../test/support/kafka.js';
import type { Metrics } from '../../src/metrics.js';
import { createLabelOutbox, type LabelOutbox, type LabelOutboxOptions } from '../../src/outbox.js';

/**
 * Where the analysts' labels go in a browser test: a fresh fraud.labels topic and a connected producer;
 * `startOutbox` starts the store's label outbox publishing to it. All of it ends with the test.
 */
export async function labelsPipeline(kafka: Kafka): Promise<{ topic: string; startOutbox: (outbox: LabelOutboxOptions['outbox'], metrics: Metrics) => LabelOutbox }> {
  const topic = uniqueName('fraud.labels');
  await createTestTopics(kafka, [{ topic, partitions: 1 }]);
  const producer = kafka.producer();
  await producer.connect();
  onTestFinished(() => producer.disconnect());
  return {
    topic,
    startOutbox: (outbox, metrics) => {
      const labels = createLabelOutbox({ outbox, producer, topic, metrics, log: testLog, maxPendingMs: 60_000 });
      labels.start();
      onTestFinished(() => labels.stop());
      return labels;
    },
  };
}

/** The labels on `topic` from its beginning, in a list that grows as they arrive (until the test ends). */
export async function readLabels(kafka: Kafka, topic: string): Promise<Label[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('labels-reader') });
  await consumer.connect();
  onTestFinished(() => consumer.disconnect());
  await consumer.subscribe({ topic, fromBeginning: true });
  const received: Label[] = [];
  await consumer.run({
    eachMessage: async ({ message }) => {
      const decoded = decodeLabel(message.value);
      if (decoded.ok) received.push(decoded.value);
    },
  });
  return received;
}
