import { describe, expect, it } from 'vitest';
import { decodeLabel, encode, type Transaction } from '@fraudstream/shared';
import { DAY_MS } from '@fraudstream/shared';
import { LabelQueue, Pacer, chargebackFor } from '../src/schedule.js';

const transaction = (id: number, timestamp: string): Transaction => ({
  schemaVersion: 1,
  transactionId: String(id).padStart(12, '0'),
  timestamp,
  cardId: `card-${id % 7}`,
  terminalId: `term-${id % 11}`,
  amount: 12.5,
  currency: 'EUR',
});

describe('chargebackFor', () => {
  it('labels the transaction as fraud exactly the delay later in event time', () => {
    const label = chargebackFor(transaction(3, '2018-04-01T10:11:12.000Z'), 7 * DAY_MS);
    expect(label).toEqual({
      schemaVersion: 1,
      transactionId: '000000000003',
      cardId: 'card-3',
      terminalId: 'term-3',
      transactionTimestamp: '2018-04-01T10:11:12.000Z',
      fraud: true,
      source: 'chargeback',
      labeledAt: '2018-04-08T10:11:12.000Z',
    });
    expect(decodeLabel(encode(label)).ok).toBe(true);
  });
});

describe('LabelQueue', () => {
  it('gives labels back earliest first, ties by transaction id', () => {
    const queue = new LabelQueue();
    const times = ['2018-04-03T00:00:00Z', '2018-04-01T00:00:00Z', '2018-04-02T00:00:00Z', '2018-04-01T00:00:00Z', '2018-04-05T00:00:00Z'];
    times.forEach((time, index) => queue.push(chargebackFor(transaction(10 - index, new Date(time).toISOString()), DAY_MS)));
    expect(queue.size).toBe(5);
    expect(queue.peekDueMs()).toBe(Date.parse('2018-04-02T00:00:00Z'));
    const order: string[] = [];
    for (let label = queue.shift(); label !== undefined; label = queue.shift()) order.push(label.transactionId);
    expect(order).toEqual(['000000000007', '000000000009', '000000000008', '000000000010', '000000000006']);
    expect(queue.peekDueMs()).toBeUndefined();
  });

  it('stays ordered under many random pushes and shifts', () => {
    const queue = new LabelQueue();
    let seed = 1;
    const next = () => (seed = (seed * 48_271) % 2_147_483_647);
    const out: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      queue.push(chargebackFor(transaction(i, new Date(Date.UTC(2018, 0, 1) + (next() % 100_000) * 1000).toISOString()), 0));
      if (i % 3 === 0) queue.shift();
    }
    for (let due = queue.peekDueMs(); due !== undefined; due = queue.peekDueMs()) {
      out.push(due);
      queue.shift();
    }
    expect(out).toEqual([...out].sort((a, b) => a - b));
  });
});

describe('Pacer', () => {
  const live = Date.UTC(2018, 3, 8);

  it('sends history at once, whatever the rate', () => {
    const pacer = new Pacer({ rate: 1, liveFromMs: live });
    for (let i = 0; i < 100; i++) expect(pacer.sendAt(live - 1_000 + i, true, 5_000)).toBe(0);
  });

  it('spaces live transactions by 1/rate and lets labels through', () => {
    const pacer = new Pacer({ rate: 100, liveFromMs: live });
    const slots = Array.from({ length: 5 }, (_, i) => pacer.sendAt(live + i * 60_000, true, 1_000));
    expect(slots).toEqual([1_000, 1_010, 1_020, 1_030, 1_040]);
    expect(pacer.sendAt(live + 5 * 60_000, false, 1_000)).toBe(0);
    // After a long stall it may catch up one second's worth, not more.
    expect(pacer.sendAt(live + 6 * 60_000, true, 10_000)).toBe(9_000);
  });

  it('runs a simulated clock at the given speed for transactions and labels', () => {
    const pacer = new Pacer({ rate: 0, speed: 3_600, liveFromMs: live });
    expect(pacer.sendAt(live + 60_000, true, 500)).toBe(500);
    // One simulated hour later = one wall second later.
    expect(pacer.sendAt(live + 60_000 + 3_600_000, false, 600)).toBe(1_500);
    expect(pacer.sendAt(live + 60_000 + 7_200_000, true, 600)).toBe(2_500);
  });

  it('holds the simulated clock back when the rate cap binds', () => {
    const pacer = new Pacer({ rate: 1, speed: 3_600, liveFromMs: live });
    expect(pacer.sendAt(live, true, 0)).toBe(0);
    // The clock alone would allow this at 1 ms; the cap says 1 s, and the clock restarts from there.
    expect(pacer.sendAt(live + 3_600, true, 0)).toBe(1_000);
    expect(pacer.sendAt(live + 3_600 + 3_600_000, false, 0)).toBe(2_000);
  });
});
