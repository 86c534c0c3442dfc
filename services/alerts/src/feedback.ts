import { Label } from '@fraudstream/shared';
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

/**
 * What the HTTP API needs of the label publisher: the verdict's label is already in the outbox
 * (AlertStore.recordFeedback); the publisher (outbox.ts) sends it to fraud.labels.
 */
export interface LabelPublisher {
  /** A label was committed to the outbox: publish now rather than at the next poll. */
  wake(): void;
  /** Why labels are late reaching fraud.labels; empty when they are not. */
  problems(): string[];
}
