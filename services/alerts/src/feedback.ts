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

/** Publishes labels keyed by card, like the transactions they are about. */
export function createLabelPublisher({ producer, topic }: { producer: Producer; topic: string }): LabelPublisher {
  return {
    async publish(label) {
      await producer.send({ topic, acks: -1, messages: [{ key: label.cardId, value: encode(label) }] });
    },
  };
}
