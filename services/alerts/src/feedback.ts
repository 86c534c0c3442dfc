import { Label, encode, type Producer } from '@fraudstream/shared';
import type { FeedbackLabel, StoredAlert } from './schemas.js';

/** The label an analyst's verdict on an alert becomes: about the alert's transaction, source `analyst`. */
export function labelForFeedback(
  alert: Pick<StoredAlert, 'transaction'>,
  { label, note, at }: { label: FeedbackLabel; note?: string | undefined; at: Date },
): Label {
  return Label.parse({
    schemaVersion: 1,
    transactionId: alert.transaction.transactionId,
    cardId: alert.transaction.cardId,
    terminalId: alert.transaction.terminalId,
    transactionTimestamp: alert.transaction.timestamp,
    fraud: label === 'fraud',
    source: 'analyst',
    labeledAt: at.toISOString(),
    ...(note === undefined ? {} : { note }),
  });
}

export interface LabelPublisher {
  publish(label: Label): Promise<void>;
}

/**
 * Publishes labels keyed by card, like the transactions they are about, with acks=all. `producer` is
 * anything that sends a batch: a connected kafkajs producer, or (the service's) a ResilientProducer,
 * which retries through a short outage and replaces a producer whose idempotent session has ended, so
 * one broker restart does not leave every later verdict failing. Publishes go one at a time (the
 * ResilientProducer's rule); verdicts are few.
 */
export function createLabelPublisher({ producer, topic }: { producer: Pick<Producer, 'sendBatch'>; topic: string }): LabelPublisher {
  let previous: Promise<unknown> = Promise.resolve();
  return {
    publish(label) {
      const sent = previous.then(() => producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: [{ key: label.cardId, value: encode(label) }] }] }));
      previous = sent.catch(() => undefined);
      return sent.then(() => undefined);
    },
  };
}
