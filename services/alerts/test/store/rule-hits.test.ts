import { describe, expect, it } from 'vitest';
import type { RuleHitCounts } from '@fraudstream/shared';
import { backends, openTestStore } from '../fixtures.js';

const counts = (detectedAt: string, payments: number, rules: Array<[string, number, 'active' | 'shadow', number, number]>): RuleHitCounts => ({
  schemaVersion: 1,
  detectedAt,
  payments,
  rules: rules.map(([ruleId, version, mode, hits, errors]) => ({ ruleId, version, action: 'review', mode, hits, errors })),
});

describe.each(backends)('rule hit store on $name', ({ open }) => {
  it('sums hits per rule over the last hour and day, counting a redelivered message once', async () => {
    const store = await openTestStore(open);
    const now = new Date('2026-12-03T12:00:00Z');
    await store.ruleHits.add('fraud.rule-hits', 0, [
      { offset: '0', counts: counts('2026-12-03T11:30:10Z', 100, [['ceiling', 1, 'active', 3, 0], ['night', 2, 'shadow', 5, 1]]) },
      { offset: '1', counts: counts('2026-12-03T11:30:50Z', 50, [['ceiling', 1, 'active', 2, 0]]) },
      { offset: '2', counts: counts('2026-12-03T02:00:00Z', 1000, [['ceiling', 1, 'active', 40, 0]]) },
      { offset: '3', counts: counts('2026-12-01T02:00:00Z', 1000, [['ceiling', 1, 'active', 900, 0]]) },
    ]);
    // A crash after the store wrote and before Kafka had the offsets: the same messages again, and one new.
    const added = await store.ruleHits.add('fraud.rule-hits', 0, [
      { offset: '2', counts: counts('2026-12-03T02:00:00Z', 1000, [['ceiling', 1, 'active', 40, 0]]) },
      { offset: '3', counts: counts('2026-12-01T02:00:00Z', 1000, [['ceiling', 1, 'active', 900, 0]]) },
      { offset: '4', counts: counts('2026-12-03T11:59:00Z', 10, [['ceiling', 2, 'active', 1, 0]]) },
    ]);
    expect(added).toBe(1);
    // Another partition has its own offsets.
    expect(await store.ruleHits.add('fraud.rule-hits', 1, [{ offset: '0', counts: counts('2026-12-03T11:45:00Z', 5, []) }])).toBe(1);

    const totals = await store.ruleHits.totals(now);
    expect(totals.payments).toEqual({ lastHour: 165, lastDay: 1165 });
    expect(totals.rules).toEqual([
      { ruleId: 'ceiling', version: 2, mode: 'active', action: 'review', lastHour: { hits: 6, errors: 0 }, lastDay: { hits: 46, errors: 0 } },
      { ruleId: 'night', version: 2, mode: 'shadow', action: 'review', lastHour: { hits: 5, errors: 1 }, lastDay: { hits: 5, errors: 1 } },
    ]);

    await store.ruleHits.prune(new Date('2026-12-03T11:00:00Z'));
    expect((await store.ruleHits.totals(now)).payments).toEqual({ lastHour: 165, lastDay: 165 });
  });
});
