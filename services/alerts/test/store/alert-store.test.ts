import { describe, expect, it } from 'vitest';
import { createAlertStore } from '../../src/store/alert-store.js';
import { migrate } from '../../src/store/migrations.js';
import { StoredAlert } from '../../src/schemas.js';
import { backends, makeAlert, openTestStore } from '../fixtures.js';

describe.each(backends)('alert store on $name', ({ open }) => {
  it('stores an alert once however often it is inserted', async () => {
    const store = await openTestStore(open);
    const alert = makeAlert();
    expect(await store.insertAlerts([alert, alert])).toEqual({ inserted: 1 });
    expect(await store.insertAlerts([alert])).toEqual({ inserted: 0 });
    const stored = await store.getAlert(alert.alertId);
    const { schemaVersion: _version, ...event } = alert;
    expect(stored).toMatchObject({ ...event, sequence: 1, status: 'open', feedback: null });
    expect(await store.latestSequence()).toBe(1);
    const [row] = await store.listAlerts({}, 10);
    expect(StoredAlert.parse(JSON.parse(row!.json))).toEqual(stored);
    expect(row!.detectedAtMs).toBe(Date.parse(alert.detectedAt));
  });

  it('serves an alert stored before alerts had a decision and rule hits with their defaults', async () => {
    const db = await open();
    const store = await createAlertStore(db);
    const alert = makeAlert({ decision: 'block', ruleHits: [{ ruleId: 'blocked-cards', version: 2, name: 'Blocked cards', action: 'block' }] });
    await store.insertAlerts([alert, makeAlert()]);
    await db.query(`UPDATE alerts SET alert = alert - 'decision' - 'ruleHits' WHERE alert_id <> $1`, [alert.alertId]);
    // As served: lists and streams pass the database's JSON through unparsed (the dashboard reads ruleHits).
    const served = (await store.listAlerts({}, 10)).map((row) => JSON.parse(row.json) as Record<string, unknown>);
    expect(served.find((row) => row['alertId'] === alert.alertId)).toMatchObject({ decision: 'block', ruleHits: alert.ruleHits });
    const old = served.find((row) => row['alertId'] !== alert.alertId);
    expect(old).toMatchObject({ decision: 'review', ruleHits: [] });
  });

  it('stores one alert per payment: two cards\' payments sharing a transaction id are two alerts, each stored once', async () => {
    const store = await openTestStore(open);
    const first = makeAlert({ transactionId: 'auth-0001', cardId: 'card-1' });
    const second = makeAlert({ transactionId: 'auth-0001', cardId: 'card-2' });
    expect(first.alertId).not.toBe(second.alertId);
    expect(await store.insertAlerts([first, second, first])).toEqual({ inserted: 2 });
    expect(await store.insertAlerts([second])).toEqual({ inserted: 0 });
    expect((await store.listAlerts({}, 10)).length).toBe(2);
  });

  it('applies its migrations once', async () => {
    const db = await open();
    await createAlertStore(db);
    expect(await migrate(db)).toEqual([]);
    const store = await createAlertStore(db);
    expect(await store.latestSequence()).toBe(0);
  });

  it('lists newest first with filters and keyset pages', async () => {
    const store = await openTestStore(open);
    const base = Date.parse('2026-03-01T10:00:00Z');
    const at = (minutes: number): string => new Date(base + minutes * 60_000).toISOString();
    await store.insertAlerts([
      makeAlert({ cardId: 'card-1', terminalId: 'term-1', score: 0.6, detectedAt: at(0) }),
      makeAlert({ cardId: 'card-2', terminalId: 'term-1', score: 0.9, detectedAt: at(1) }),
      makeAlert({ cardId: 'card-1', terminalId: 'term-2', score: 0.95, detectedAt: at(2) }),
      makeAlert({ cardId: 'card-1', terminalId: 'term-2', score: 0.7, detectedAt: at(2) }),
    ]);

    const all = await store.listAlerts({}, 10);
    expect(all.map((alert) => alert.sequence)).toEqual([4, 3, 2, 1]);

    const firstPage = await store.listAlerts({}, 2);
    const last = firstPage.at(-1)!;
    const secondPage = await store.listAlerts({}, 2, { detectedAt: new Date(last.detectedAtMs), sequence: last.sequence });
    expect([...firstPage, ...secondPage].map((alert) => alert.sequence)).toEqual([4, 3, 2, 1]);

    expect((await store.listAlerts({ cardId: 'card-1' }, 10)).map((a) => a.sequence)).toEqual([4, 3, 1]);
    expect((await store.listAlerts({ terminalId: 'term-1' }, 10)).map((a) => a.sequence)).toEqual([2, 1]);
    expect((await store.listAlerts({ minScore: 0.9 }, 10)).map((a) => a.sequence)).toEqual([3, 2]);
    expect((await store.listAlerts({ since: at(1), until: at(2) }, 10)).map((a) => a.sequence)).toEqual([2]);
    expect((await store.listAlerts({ cardId: 'card-1', minScore: 0.9, status: 'open' }, 10)).map((a) => a.sequence)).toEqual([3]);
  });

  it('records feedback and reports stats', async () => {
    const store = await openTestStore(open);
    const now = new Date('2026-03-01T10:30:20Z');
    const [a, b, c] = [
      makeAlert({ detectedAt: '2026-03-01T10:29:05Z', modelVersion: 'v1' }),
      makeAlert({ detectedAt: '2026-03-01T10:29:55Z', modelVersion: 'v2' }),
      makeAlert({ detectedAt: '2026-03-01T09:00:00Z', modelVersion: 'v1' }),
    ];
    await store.insertAlerts([a!, b!, c!]);
    const latestBefore = await store.latestSequence();
    const updated = await store.recordFeedback(a!.alertId, { label: 'fraud', note: 'customer confirmed', at: now });
    expect(updated).toMatchObject({ status: 'fraud', feedback: { label: 'fraud', note: 'customer confirmed', at: now.toISOString() } });
    expect(updated?.sequence).toBeGreaterThan(latestBefore);
    expect(await store.latestSequence()).toBe(updated?.sequence);
    await store.recordFeedback(b!.alertId, { label: 'legit', at: now });
    expect(await store.recordFeedback('00000000-0000-8000-8000-000000000000', { label: 'fraud', at: now })).toBeUndefined();
    expect((await store.listAlerts({ status: 'fraud' }, 10)).map((row) => (JSON.parse(row.json) as StoredAlert).alertId)).toEqual([
      a!.alertId,
    ]);

    const stats = await store.stats(now);
    expect(stats.alertsPerMinute).toHaveLength(60);
    expect(stats.alertsPerMinute.at(-1)).toEqual({ minute: '2026-03-01T10:30:00.000Z', count: 0 });
    expect(stats.alertsPerMinute.at(-2)).toEqual({ minute: '2026-03-01T10:29:00.000Z', count: 2 });
    expect(stats.alertsPerMinute.reduce((sum, minute) => sum + minute.count, 0)).toBe(2);
    expect(stats.totals).toEqual({ all: 3, open: 1, fraud: 1, legit: 1 });
    expect(stats.precision).toBe(0.5);
    expect(stats.modelVersions.map((model) => [model.modelVersion, model.alerts])).toEqual([
      ['v2', 1],
      ['v1', 2],
    ]);
    expect(stats.challengers).toEqual([]);
  });

  it('sums up, per shadow challenger, the alerts it would have raised too and how it did on the reviewed ones', async () => {
    const store = await openTestStore(open);
    const now = new Date('2026-03-01T10:30:20Z');
    const challenger = (flagged: boolean, modelVersion = 'challenger-1') => ({ modelVersion, score: flagged ? 0.8 : 0.2, threshold: 0.5, flagged });
    const alerts = [
      makeAlert({ detectedAt: '2026-03-01T10:00:00Z', challenger: challenger(true) }), // fraud, caught by both
      makeAlert({ detectedAt: '2026-03-01T10:01:00Z', challenger: challenger(false) }), // fraud the challenger misses
      makeAlert({ detectedAt: '2026-03-01T10:02:00Z', challenger: challenger(false) }), // legit it spares
      makeAlert({ detectedAt: '2026-03-01T10:03:00Z', challenger: challenger(true) }), // legit, raised by both
      makeAlert({ detectedAt: '2026-03-01T10:04:00Z', challenger: challenger(true) }), // open
      makeAlert({ detectedAt: '2026-03-01T10:05:00Z', challenger: challenger(true, 'challenger-2') }),
      makeAlert({ detectedAt: '2026-03-01T10:06:00Z' }), // no challenger ran
      makeAlert({ detectedAt: '2026-02-27T10:00:00Z', challenger: challenger(true) }), // older than a day
    ];
    await store.insertAlerts(alerts);
    for (const [index, label] of [[0, 'fraud'], [1, 'fraud'], [2, 'legit'], [3, 'legit']] as const) await store.recordFeedback(alerts[index]!.alertId, { label, at: now });
    const stats = await store.stats(now);
    expect(stats.challengers).toEqual([
      { modelVersion: 'challenger-2', alerts: 1, wouldAlert: 1, reviewedFraud: 0, fraudItWouldAlert: 0, reviewedLegit: 0, legitItWouldAlert: 0 },
      { modelVersion: 'challenger-1', alerts: 5, wouldAlert: 3, reviewedFraud: 2, fraudItWouldAlert: 1, reviewedLegit: 2, legitItWouldAlert: 1 },
    ]);
  });

  it('hands a stream what it has not sent, in sequence order, up to a bound', async () => {
    const store = await openTestStore(open);
    await store.insertAlerts([makeAlert({ cardId: 'card-1' }), makeAlert({ cardId: 'card-2' }), makeAlert({ cardId: 'card-1' })]);
    expect((await store.alertsAfter(0, 3, {}, 10)).map((a) => a.sequence)).toEqual([1, 2, 3]);
    expect((await store.alertsAfter(1, 2, {}, 10)).map((a) => a.sequence)).toEqual([2]);
    expect((await store.alertsAfter(0, 3, { cardId: 'card-1' }, 10)).map((a) => a.sequence)).toEqual([1, 3]);
    expect((await store.alertsAfter(0, 3, {}, 2)).map((a) => a.sequence)).toEqual([1, 2]);
  });
});
