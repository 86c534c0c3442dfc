import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/durations.js';
import { createMemoryFeatureStore, historySpans, type TimeSeries, type TransactionRecord } from '../../src/features/index.js';

const spans = historySpans(7);
const T0 = Date.parse('2018-04-01T00:00:00Z');
const record = (id: string, day: number, amount = 1.5): TransactionRecord => ({
  transactionId: id,
  timestampMs: T0 + day * DAY_MS,
  cardId: 'card-1',
  terminalId: 'term-1',
  amount,
});
const live = (series: TimeSeries): string[] => series.transactionIds.slice(series.start, series.end);

describe('memory feature store', () => {
  it('keeps each series sorted by (time, id), without duplicates, out-of-order arrivals included', async () => {
    const store = createMemoryFeatureStore();
    await store.record([record('b', 2, 2), record('d', 3, 4)], spans);
    await store.record([record('a', 2, 1), record('c', 2, 3), record('b', 2, 2)], spans);
    const { cards, terminals } = await store.record([record('e', 1, 5)], spans);
    const card = cards[0]!;
    expect(live(card)).toEqual(['e', 'a', 'b', 'c', 'd']);
    // Running totals in cents: each entry's own amount is the step to the next total.
    const totals = [...Array.from(card.centsBefore.subarray(card.start, card.end)), card.centsTotal];
    expect(totals.slice(1).map((total, index) => total - totals[index]!)).toEqual([500, 100, 200, 300, 400]);
    expect(live(terminals[0]!)).toEqual(['e', 'a', 'b', 'c', 'd']);
  });

  it('keeps every entry within the span plus the grace, and drops older ones as its arrays fill', async () => {
    const store = createMemoryFeatureStore();
    const days = 400;
    for (let day = 0; day < days; day++) await store.record([record(`tx${String(day).padStart(3, '0')}`, day)], spans);
    const { cards, terminals } = await store.record([record(`tx${days}`, days)], spans);
    const card = live(cards[0]!);
    const terminal = live(terminals[0]!);
    // Cards keep 30 + 7 days before the newest transaction, terminals 37 + 7; older ones go at the
    // latest when the arrays are full, so a series holds at most about twice its span.
    expect(card.slice(-38)).toEqual(Array.from({ length: 38 }, (_, index) => `tx${days - 37 + index}`));
    expect(terminal.slice(-45)).toEqual(Array.from({ length: 45 }, (_, index) => `tx${days - 44 + index}`));
    expect(card.length).toBeLessThanOrEqual(2 * 38);
    expect(terminal.length).toBeLessThanOrEqual(2 * 45);
    expect(cards[0]!.timestampsMs.length).toBeLessThanOrEqual(2 * 2 * 38);
  });

  it('keeps label events sorted per terminal and ignores a repeated one', async () => {
    const store = createMemoryFeatureStore();
    const label = { transactionId: 'a', terminalId: 'term-1', transactionTimestampMs: T0, labeledAtMs: T0 + 7 * DAY_MS, fraud: true };
    await store.recordLabels([{ ...label, labeledAtMs: T0 + 9 * DAY_MS, fraud: false }, label, label], spans);
    const { terminalLabels } = await store.record([record('b', 10)], spans);
    expect(terminalLabels[0]!.map((event) => event.fraud)).toEqual([true, false]);
  });
});
