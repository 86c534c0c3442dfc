import { describe, expect, it } from 'vitest';
import { encode, type Label, type Transaction } from '@fraudstream/shared';
import { createHistoryCollector } from '../../src/export/history.js';

const transaction = (id: string, timestamp: string): Transaction => ({
  schemaVersion: 1,
  transactionId: id,
  timestamp,
  cardId: 'card-1',
  terminalId: 'term-2',
  amount: 10,
  currency: 'EUR',
});

const label = (id: string, fraud: boolean, source: Label['source'], labeledAt: string): Label => ({
  schemaVersion: 1,
  transactionId: id,
  cardId: 'card-1',
  terminalId: 'term-2',
  transactionTimestamp: '2026-01-01T00:00:00Z',
  fraud,
  source,
  labeledAt,
});

describe('history collector', () => {
  it('orders by event time then id, and labels each transaction by its latest label', () => {
    const collector = createHistoryCollector();
    collector.addTransaction(encode(transaction('000000000003', '2026-01-02T00:00:00Z')));
    collector.addTransaction(encode(transaction('000000000002', '2026-01-01T00:00:00Z')));
    collector.addTransaction(encode(transaction('000000000001', '2026-01-01T00:00:00Z')));
    collector.addTransaction(encode(transaction('000000000004', '2026-01-03T00:00:00Z')));
    // 1: chargeback, then an analyst overturns it; 2: analyst fraud arrives before a stale chargeback read later.
    collector.addLabel(encode(label('000000000001', true, 'chargeback', '2026-01-08T00:00:00Z')));
    collector.addLabel(encode(label('000000000001', false, 'analyst', '2026-01-09T00:00:00Z')));
    collector.addLabel(encode(label('000000000002', true, 'analyst', '2026-01-05T00:00:00Z')));
    collector.addLabel(encode(label('000000000002', false, 'analyst', '2026-01-04T00:00:00Z')));
    collector.addLabel(encode(label('000000000003', true, 'chargeback', '2026-01-09T00:00:00Z')));
    collector.addLabel(encode(label('000000000099', true, 'chargeback', '2026-01-09T00:00:00Z')));

    const rows = collector.rows();
    expect(rows.map((row) => [row.transaction.transactionId, row.fraud, row.labelSource])).toEqual([
      ['000000000001', false, 'analyst'],
      ['000000000002', true, 'analyst'],
      ['000000000003', true, 'chargeback'],
      ['000000000004', false, undefined],
    ]);
    expect(collector.summary(rows)).toMatchObject({
      transactions: 4,
      labels: 6,
      unmatchedLabels: 1,
      fraud: 2,
      fraudBySource: { chargeback: 1, analyst: 1 },
      legitByAnalyst: 1,
      firstTimestamp: '2026-01-01T00:00:00Z',
      lastTimestamp: '2026-01-03T00:00:00Z',
    });
  });

  it('counts and skips invalid messages and repeated transaction ids', () => {
    const collector = createHistoryCollector();
    collector.addTransaction(encode(transaction('000000000001', '2026-01-01T00:00:00Z')));
    collector.addTransaction(encode(transaction('000000000001', '2026-01-01T00:00:00Z')));
    collector.addTransaction(Buffer.from('{not json'));
    collector.addTransaction(null);
    collector.addLabel(Buffer.from('{"schemaVersion":1}'));
    const summary = collector.summary(collector.rows());
    expect(summary).toMatchObject({ transactions: 1, duplicateTransactions: 1, invalidTransactions: 2, invalidLabels: 1, labels: 0 });
  });
});
