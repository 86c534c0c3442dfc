import { describe, expect, it } from 'vitest';
import { createEventTimeGuard, referenceFor } from '../src/event-time-guard.js';

const DAY = 86_400_000;
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
    guard.reset();
    expect(guard.knows(3)).toBe(false);
  });
});

describe('referenceFor', () => {
  it("takes the stream's event time from the other partitions, else the median of the first events", () => {
    expect(referenceFor([T, T + DAY, Number.NEGATIVE_INFINITY], [Date.UTC(2999, 0, 1)])).toBe(T + DAY);
    expect(referenceFor([], [T + 2, Date.UTC(2999, 0, 1), T, T + 1])).toBe(T + 1);
    expect(referenceFor([Number.NEGATIVE_INFINITY], [Date.UTC(2999, 0, 1), T])).toBe(T);
    expect(referenceFor([], [])).toBe(Number.NEGATIVE_INFINITY);
  });
});
