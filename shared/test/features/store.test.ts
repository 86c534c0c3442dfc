import { describe, expect, it } from 'vitest';
import { centsOf, compareLabels, emptyHistories, type LabelEntry } from '../../src/features/store.js';

describe('centsOf', () => {
  it('gives whole cents where the amount times 100 falls just short in binary', () => {
    expect(0.29 * 100).toBe(28.999999999999996);
    expect(centsOf(0.29)).toBe(29);
    expect(centsOf(4.35)).toBe(435);
    expect(centsOf(57.16)).toBe(5716);
    expect(centsOf(1_234_567.89)).toBe(123_456_789);
    expect(centsOf(0)).toBe(0);
  });

  it('makes sums exact in any order', () => {
    const amounts = [0.1, 0.2, 0.3, 57.16, 19.99, 0.01];
    const forwards = amounts.reduce((sum, amount) => sum + centsOf(amount), 0);
    const backwards = [...amounts].reverse().reduce((sum, amount) => sum + centsOf(amount), 0);
    expect(forwards).toBe(7776);
    expect(backwards).toBe(forwards);
  });
});

const label = (transactionId: string, transactionTimestampMs: number, labeledAtMs: number, fraud: boolean): LabelEntry => ({
  transactionId,
  transactionTimestampMs,
  labeledAtMs,
  fraud,
});

describe('compareLabels', () => {
  it('orders by transaction time, then transaction id, then label time, then verdict (not fraud first)', () => {
    const base = label('b', 10, 20, false);
    expect(compareLabels(base, { ...base })).toBe(0);
    expect(compareLabels(base, label('a', 11, 0, false))).toBeLessThan(0);
    expect(compareLabels(base, label('a', 10, 99, true))).toBeGreaterThan(0);
    expect(compareLabels(base, label('c', 10, 0, false))).toBeLessThan(0);
    expect(compareLabels(base, label('b', 10, 21, false))).toBeLessThan(0);
    expect(compareLabels(base, label('b', 10, 19, true))).toBeGreaterThan(0);
    expect(compareLabels(base, label('b', 10, 20, true))).toBeLessThan(0);
    expect(compareLabels(label('b', 10, 20, true), base)).toBeGreaterThan(0);
  });

  it('compares ids as strings, not numbers', () => {
    expect(compareLabels(label('10', 0, 0, false), label('9', 0, 0, false))).toBeLessThan(0);
  });

  it('sorts a list into the order the store keeps', () => {
    const list = [label('b', 10, 5, true), label('a', 10, 5, true), label('a', 10, 5, false), label('z', 1, 9, false), label('a', 10, 3, true)];
    expect(list.sort(compareLabels)).toEqual([label('z', 1, 9, false), label('a', 10, 3, true), label('a', 10, 5, false), label('a', 10, 5, true), label('b', 10, 5, true)]);
  });
});

describe('emptyHistories', () => {
  it('has a slot per transaction in each column', () => {
    const histories = emptyHistories(3);
    expect([histories.cards.length, histories.terminals.length, histories.terminalLabels.length]).toEqual([3, 3, 3]);
    expect(emptyHistories(0).cards).toEqual([]);
  });
});
