import type { Label, Transaction } from '../../src/events.js';

/** A payment with every field of the contract: what the events' and the contract's tests start from. */
export const sampleTransaction: Transaction = {
  schemaVersion: 1,
  transactionId: 'tx-000001',
  timestamp: '2018-04-01T00:00:31Z',
  cardId: 'card-00042',
  terminalId: 'term-03117',
  amount: 57.16,
  currency: 'EUR',
  merchantCategory: '5411',
  channel: 'pos',
  maskedPan: '411111******1111',
};

/** Its chargeback, a week later. */
export const sampleLabel: Label = {
  schemaVersion: 1,
  transactionId: 'tx-000001',
  cardId: 'card-00042',
  terminalId: 'term-03117',
  transactionTimestamp: '2018-04-01T00:00:31Z',
  fraud: true,
  source: 'chargeback',
  labeledAt: '2018-04-08T00:00:31Z',
};
