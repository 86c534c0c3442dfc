import { describe, expect, it } from 'vitest';
import { DAY_MS } from '@fraudstream/shared';
import { driftFor } from '../src/drift.js';

const start = Date.UTC(2026, 0, 10);
const usageError = (message: RegExp) => expect.objectContaining({ code: 'USAGE_INVALID', message: expect.stringMatching(message) });

describe('driftFor', () => {
  it('is no drift without any drift option', () => {
    expect(driftFor({ amountFactor: 1, cardTesting: false }, start)).toBeUndefined();
  });

  it('starts at the midnight of --drift-at, or --drift-after-days after the first day', () => {
    expect(driftFor({ at: '2026-01-20', amountFactor: 2, cardTesting: false }, start)).toEqual({
      fromMs: Date.UTC(2026, 0, 20),
      amountFactor: 2,
      cardTesting: false,
    });
    expect(driftFor({ afterDays: 3, amountFactor: 1, cardTesting: true }, start)).toEqual({ fromMs: start + 3 * DAY_MS, amountFactor: 1, cardTesting: true });
    expect(driftFor({ afterDays: 0, amountFactor: 0.5, cardTesting: false }, start)?.fromMs).toBe(start);
    expect(driftFor({ at: '2026-01-10', amountFactor: 0.5, cardTesting: false }, start)?.fromMs).toBe(start);
  });

  it('refuses both day options, drift options without a day, a day without a drift and a day before the start', () => {
    expect(() => driftFor({ at: '2026-01-20', afterDays: 3, amountFactor: 2, cardTesting: false }, start)).toThrow(usageError(/got both/));
    expect(() => driftFor({ amountFactor: 2, cardTesting: false }, start)).toThrow(usageError(/Expected a drift day/));
    expect(() => driftFor({ amountFactor: 1, cardTesting: true }, start)).toThrow(usageError(/Expected a drift day/));
    expect(() => driftFor({ afterDays: 3, amountFactor: 1, cardTesting: false }, start)).toThrow(usageError(/something to drift/));
    expect(() => driftFor({ at: '2026-01-09', amountFactor: 2, cardTesting: false }, start)).toThrow(usageError(/on or after the first simulated day, 2026-01-10/));
  });
});
