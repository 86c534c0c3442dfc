import { describe, expect, it } from 'vitest';
import { DAY_MS as DAY, encode, type Transaction } from '@fraudstream/shared';
import { createEventTimeGuard, referenceFor, rejectAhead, takeOverReference } from '../src/event-time-guard.js';
import { decodeMessages } from '../src/scoring.js';
const T = Date.UTC(2018, 3, 1);
const WALL = Date.UTC(2026, 11, 1);

describe('event-time guard', () => {
  it('refuses an event more than the bound ahead of its partition, and lets the stream go on', () => {
    const guard = createEventTimeGuard({ maxAheadMs: DAY });
    guard.seed(0, T, WALL);
    expect(guard.admit(0, T + 60_000, WALL)).toBe(true);
    expect(guard.admit(0, Date.UTC(2999, 0, 1), WALL)).toBe(false);
    expect(guard.admit(0, T + 2 * DAY, WALL)).toBe(false);
    // The refused events moved nothing: the next ordinary one is admitted, and so are late ones.
    expect(guard.admit(0, T + 120_000, WALL)).toBe(true);
    expect(guard.admit(0, T - 5 * DAY, WALL)).toBe(true);
    expect(guard.limitMs(0, WALL)).toBe(T + 120_000 + DAY);
  });

  it('keeps partitions apart', () => {
    const guard = createEventTimeGuard({ maxAheadMs: DAY });
    guard.seed(0, T, WALL);
    guard.seed(1, T + 10 * DAY, WALL);
    expect(guard.admit(0, T + 5 * DAY, WALL)).toBe(false);
    expect(guard.admit(1, T + 10.5 * DAY, WALL)).toBe(true);
  });

  it('lets event time move on as fast as the wall clock while a partition is quiet', () => {
    const guard = createEventTimeGuard({ maxAheadMs: DAY });
    guard.seed(0, WALL, WALL);
    // Three days without a payment on this partition (a long weekend of a small merchant base).
    expect(guard.admit(0, WALL + 3 * DAY, WALL + 3 * DAY)).toBe(true);
    expect(guard.admit(0, WALL + 5 * DAY, WALL + 3 * DAY)).toBe(false);
  });

  it('admits anything on a partition with no reference, and forgets every reference on reset', () => {
    const guard = createEventTimeGuard({ maxAheadMs: DAY });
    expect(guard.knows(3)).toBe(false);
    guard.seed(3, Number.NEGATIVE_INFINITY, WALL);
    expect(guard.knows(3)).toBe(true);
    // A simulated stream far ahead of the clock is not refused for that.
    expect(guard.admit(3, WALL + 400 * DAY, WALL)).toBe(true);
    expect(guard.admit(3, WALL + 402 * DAY, WALL)).toBe(false);
    guard.seed(4, T, WALL);
    guard.forget(3);
    expect([guard.knows(3), guard.knows(4)]).toEqual([false, true]);
    guard.reset();
    expect(guard.knows(4)).toBe(false);
  });
});

describe('referenceFor', () => {
  it("takes the stream's event time from the other partitions, else the median of the first events", () => {
    expect(referenceFor([T, T + DAY, Number.NEGATIVE_INFINITY], [Date.UTC(2999, 0, 1)])).toBe(T + DAY);
    expect(referenceFor([], [T + 2, Date.UTC(2999, 0, 1), T, T + 1])).toBe(T + 1);
    expect(referenceFor([Number.NEGATIVE_INFINITY], [Date.UTC(2999, 0, 1), T])).toBe(T);
    expect(referenceFor([], [])).toBe(Number.NEGATIVE_INFINITY);
  });

  it('raises a recorded time left behind by the median of at least five first events, which two outliers cannot move', () => {
    const dayLater = [0, 1, 2, 3, 4].map((minute) => T + DAY + minute * 60_000);
    expect(referenceFor([T], dayLater)).toBe(T + DAY + 2 * 60_000);
    expect(referenceFor([T], [...dayLater.slice(0, 3), Date.UTC(2999, 0, 1), Date.UTC(2999, 0, 2)])).toBe(T + DAY + 2 * 60_000);
    // Four events could be one bad clock: the recorded time stands, and a later recorded time is never lowered.
    expect(referenceFor([T], dayLater.slice(0, 4))).toBe(T);
    expect(referenceFor([T + 3 * DAY], dayLater)).toBe(T + 3 * DAY);
  });
});

const batchAt = (...timestamps: Array<string | null>) =>
  decodeMessages(
    timestamps.map((timestamp, index) => {
      const transaction: Transaction = { schemaVersion: 1, transactionId: `tx-${index}`, timestamp: timestamp ?? '', cardId: 'card-1', terminalId: 'term-1', amount: 1, currency: 'EUR' };
      return { topic: 't', partition: 0, offset: String(index), key: null, value: timestamp === null ? null : encode(transaction) };
    }),
  );

describe('takeOverReference', () => {
  it("takes the partition's recorded event time, else a guess from the other partitions or the batch", () => {
    const batch = batchAt('2018-04-01T00:00:00Z', '2018-04-01T00:01:00Z', '2999-01-01T00:00:00Z');
    expect(takeOverReference(new Map([[0, { nextOffset: 5, eventTimeMs: T }]]), 0, batch)).toBe(T);
    expect(takeOverReference(new Map([[1, { nextOffset: 5, eventTimeMs: T + DAY }]]), 0, batch)).toBe(T + DAY);
    expect(takeOverReference(new Map(), 0, batch)).toBe(T + 60_000);
  });

  it('takes a recorded time a killed replica left behind up to where its batch starts', () => {
    const batch = batchAt(...[0, 1, 2, 3, 4, 5].map((minute) => new Date(T + 2 * DAY + minute * 60_000).toISOString()));
    expect(takeOverReference(new Map([[0, { nextOffset: 5, eventTimeMs: T }]]), 0, batch)).toBe(T + 2 * DAY + 2 * 60_000);
  });
});

describe('rejectAhead', () => {
  it('turns a transaction too far ahead into an EVENT_TIME_AHEAD dead letter, and keeps the rest as they were', () => {
    const guard = createEventTimeGuard({ maxAheadMs: DAY });
    guard.seed(0, T, WALL);
    const rejected: string[] = [];
    const batch = batchAt('2018-04-01T00:01:00Z', '2999-01-01T00:00:00Z', null, '2018-04-01T00:02:00Z');
    const out = rejectAhead(guard, 0, batch, { maxAheadMs: DAY, now: () => WALL, onRejected: (entry, limit) => void rejected.push(`${entry.message.offset} ${limit}`) });
    expect(out[0]).toBe(batch[0]);
    expect(out[2]).toBe(batch[2]);
    expect(out[3]).toBe(batch[3]);
    expect(rejected).toEqual([`1 ${new Date(T + 60_000 + DAY).toISOString()}`]);
    const letter = out[1];
    expect(letter && 'deadLetter' in letter && letter.deadLetter.error).toMatchObject({
      code: 'EVENT_TIME_AHEAD',
      path: 'timestamp',
      message: `2999-01-01T00:00:00Z is more than 86400 s ahead of the partition's event time (at most ${new Date(T + 60_000 + DAY).toISOString()} now)`,
    });
  });
});
