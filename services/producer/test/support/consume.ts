import { decodeLabel, decodeTransaction, type Kafka, type KafkaMessage } from '@fraudstream/shared';
import { uniqueName } from '../../../../test/support/kafka.js';

export interface Received {
  topic: string;
  key: string;
  timestamp: number;
  message: KafkaMessage;
}

/** Reads the topics from the beginning until `done` says enough (or `timeoutMs` passes: the caller's assertions then say what is missing). */
export async function consumeUntil(kafka: Kafka, topicNames: string[], done: (received: Received[]) => boolean, timeoutMs = 60_000): Promise<Received[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('producer-test'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: topicNames, fromBeginning: true });
  const received: Received[] = [];
  let resolveDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (resolveDone = resolve));
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      received.push({ topic, key: String(message.key), timestamp: Number(message.timestamp), message });
      if (done(received)) resolveDone();
    },
  });
  const timer = setTimeout(resolveDone, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return received;
}

export function decodedTransactions(received: Received[], topic: string) {
  return received
    .filter((entry) => entry.topic === topic)
    .map((entry) => {
      const result = decodeTransaction(entry.message.value);
      if (!result.ok) throw new Error(`undecodable transaction on ${topic}: ${result.error.message}`);
      return { ...entry, value: result.value };
    });
}

export function decodedLabels(received: Received[], topic: string) {
  return received
    .filter((entry) => entry.topic === topic)
    .map((entry) => {
      const result = decodeLabel(entry.message.value);
      if (!result.ok) throw new Error(`undecodable label on ${topic}: ${result.error.message}`);
      return { ...entry, value: result.value };
    });
}
