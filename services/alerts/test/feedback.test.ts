import { describe, expect, it } from 'vitest';
import { Label } from '@fraudstream/shared';
import { labelForFeedback } from '../src/feedback.js';
import { makeAlert } from './fixtures.js';

describe('labelForFeedback', () => {
  it("turns an analyst's verdict into a label for the alert's transaction", () => {
    const alert = makeAlert({ cardId: 'card-9', terminalId: 'term-3' });
    const at = new Date('2026-03-01T12:00:00Z');
    const legit = labelForFeedback(alert, { label: 'legit', at });
    expect(Label.parse(legit)).toEqual({
      schemaVersion: 1,
      transactionId: alert.transaction.transactionId,
      cardId: 'card-9',
      terminalId: 'term-3',
      transactionTimestamp: alert.transaction.timestamp,
      fraud: false,
      source: 'analyst',
      labeledAt: '2026-03-01T12:00:00.000Z',
    });
    expect(labelForFeedback(alert, { label: 'fraud', note: 'stolen card', at })).toMatchObject({ fraud: true, note: 'stolen card' });
  });
});
