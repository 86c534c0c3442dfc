import { describe, expect, it } from 'vitest';
import type { AlertFilters, StoredAlert } from '../../src/schemas.js';
import { alertMatcher } from '../../src/stream/alert-filter.js';
import { backends, makeAlert, openTestStore } from '../fixtures.js';

const everything = Number.MAX_SAFE_INTEGER;

describe.each(backends)('stream filters on $name', ({ open }) => {
  it('select the same alerts in memory as the store does in SQL', async () => {
    const store = await openTestStore(open);
    const base = Date.parse('2026-03-01T10:00:00.000Z');
    const at = (ms: number): string => new Date(base + ms).toISOString();
    const alerts = Array.from({ length: 60 }, (_, n) =>
      makeAlert({
        cardId: `card-${n % 3}`,
        terminalId: `term-${n % 4}`,
        score: [0.5, 0.8, 0.80000001, 0.9, 0.95, 1][n % 6]!,
        // Milliseconds apart around the bounds below, and a detection time with microseconds (the store keeps ms).
        detectedAt: n === 59 ? '2026-03-01T10:00:00.0209999Z' : at(n),
      }),
    );
    await store.insertAlerts(alerts);
    await store.recordFeedback(alerts[4]!.alertId, { label: 'fraud', at: new Date() });
    await store.recordFeedback(alerts[7]!.alertId, { label: 'legit', note: 'known customer', at: new Date() });

    const cases: AlertFilters[] = [
      {},
      { cardId: 'card-1' },
      { cardId: 'card-9' },
      { terminalId: 'term-2' },
      { status: 'open' },
      { status: 'fraud' },
      { status: 'legit' },
      { minScore: 0.8 },
      { minScore: 0.80000001 },
      { minScore: 1 },
      { since: at(20) },
      { until: at(20) },
      { since: at(10), until: at(30) },
      // Bounds between two milliseconds, as PostgreSQL reads them (to the microsecond, rounding beyond).
      { since: '2026-03-01T10:00:00.0200001Z' },
      { until: '2026-03-01T10:00:00.0200001Z' },
      { since: '2026-03-01T10:00:00.0199999Z' },
      { until: '2026-03-01T10:00:00.0200004999Z' },
      { since: '2026-03-01T10:00:00.0209999Z' },
      // Another offset, and a bound with no fraction of a second.
      { since: '2026-03-01T11:00:00.025+01:00', until: '2026-03-01T10:00:00.040Z' },
      { since: '2026-03-01T10:00:00Z', until: '2026-03-01T10:00:01Z' },
      { cardId: 'card-2', terminalId: 'term-1', minScore: 0.9, status: 'open', since: at(5), until: at(55) },
    ];
    const all = await store.alertsAfter(0, everything, {}, 1000);
    const parsed = all.map((row) => ({ row, alert: JSON.parse(row.json) as StoredAlert }));
    for (const filters of cases) {
      const inSql = (await store.alertsAfter(0, everything, filters, 1000)).map((row) => row.sequence);
      const matches = alertMatcher(filters);
      const inMemory = parsed.filter((candidate) => matches === undefined || matches(candidate)).map(({ row }) => row.sequence);
      expect({ filters, sequences: inMemory }).toEqual({ filters, sequences: inSql });
    }
    expect(alertMatcher({})).toBeUndefined();
  });
});
