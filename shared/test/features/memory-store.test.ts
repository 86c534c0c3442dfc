import { describe, expect, it } from 'vitest';
import { DAY_MS, createMemoryFeatureStore, historySpans, type TimeSeries, type TransactionRecord } from '../../src/features/index.js';

const spans = historySpans(7);
const T0 = Date.parse('2018-04-01T00:00:00Z');
const record = (id: string, day: number, card = 'card-1', terminal = 'term-1'): TransactionRecord => ({
  transactionId: id,
  timestampMs: T0 + day * DAY_MS,
  cardId: card,
  terminalId: terminal,
  amount: 1.5,
});
const live = (series: TimeSeries): string[] => series.transactionIds.slice(series.start, series.end);

describe('memory feature store', () => {
  it('keeps each series sorted by (time, id), without duplicates, out-of-order arrivals included', async () => {
    const store = createMemoryFeatureStore();
    await store.record([record('b', 2), record('d', 3)], spans);
    await store.record([record('a', 2), record('c', 2), record('b', 2)], spans);
    const [history] = await store.record([record('e', 1)], spans);
    expect(live(history!.card)).toEqual(['e', 'a', 'b', 'c', 'd']);
    expect(Array.from(history!.card.amountsCents.subarray(history!.card.start, history!.card.end))).toEqual([150, 150, 150, 150, 150]);
    expect(live(history!.terminal)).toEqual(['e', 'a', 'b', 'c', 'd']);
  });

  it('drops entries older than the span plus the grace, and grows past its first capacity', async () => {
    const store = createMemoryFeatureStore();
    for (let day = 0; day < 40; day++) await store.record([record(`tx${String(day).padStart(2, '0')}`, day)], spans);
    const [history] = await store.record([record('tx40', 40)], spans);
    // cards keep 30 + 7 days before the newest transaction, terminals 37 + 7
    expect(live(history!.card)[0]).toBe('tx03');
    expect(live(history!.card)).toHaveLength(38);
    expect(live(history!.terminal)[0]).toBe('tx00');
  });

  it('keeps label events sorted per terminal and ignores a repeated one', async () => {
    const store = createMemoryFeatureStore();
    const label = { transactionId: 'a', terminalId: 'term-1', transactionTimestampMs: T0, labeledAtMs: T0 + 7 * DAY_MS, fraud: true };
    await store.recordLabels([{ ...label, labeledAtMs: T0 + 9 * DAY_MS, fraud: false }, label, label], spans);
    const [history] = await store.record([record('b', 10)], spans);
    expect(history!.terminalLabels.map((event) => event.fraud)).toEqual([true, false]);
  });
});
