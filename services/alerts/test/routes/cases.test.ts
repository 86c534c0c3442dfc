import { describe, expect, it } from 'vitest';
import { alertIdFor } from '@fraudstream/shared';
import { apiToken, makeAlert, openTestPglite, scoredPayment, testApp } from '../fixtures.js';

const auth = { authorization: `Bearer ${apiToken}` };

describe('the cases API', () => {
  it('serves the queue, a case with its alerts and the card\'s payments, decides it once, assigns it, and keeps the history', async () => {
    const { app, store, outbox, producer } = await testApp(openTestPglite);
    const alerts = [makeAlert({ cardId: 'card-7', score: 0.9, amount: 300 }), makeAlert({ cardId: 'card-7', score: 0.6, amount: 20 }), makeAlert({ cardId: 'card-8', score: 0.5 })];
    await store.insertAlerts(alerts);
    const first = alerts[0]!;
    await store.payments.addScores([
      scoredPayment(first.transaction.transactionId, first.transaction.timestamp, { cardId: 'card-7', score: 0.9, flagged: true, decision: 'review' }),
      scoredPayment('tx-earlier', new Date(Date.parse(first.transaction.timestamp) - 3_600_000).toISOString(), { cardId: 'card-7', score: 0.02 }),
    ]);

    const queue = await app.inject({ url: '/cases' });
    expect(queue.statusCode).toBe(200);
    const { cases } = queue.json<{ cases: Array<{ caseId: string; cardId: string; alertCount: number }> }>();
    expect(cases.map((c) => [c.cardId, c.alertCount])).toEqual([['card-7', 2], ['card-8', 1]]);
    const caseId = cases[0]!.caseId;

    const detail = await app.inject({ url: `/cases/${caseId}` });
    expect(detail.statusCode).toBe(200);
    const body = detail.json<{ alerts: Array<{ alertId: string; caseId: string }>; payments: Array<{ transactionId: string; alertId: string | null }> }>();
    expect(body.alerts.map((alert) => alert.caseId)).toEqual([caseId, caseId]);
    expect(body.payments.map((payment) => [payment.transactionId, payment.alertId])).toEqual([
      [first.transaction.transactionId, alertIdFor(first.transaction)],
      ['tx-earlier', null],
    ]);

    // Bad input is a 400 naming the field; no token is a 401; nothing changed.
    const bad = await app.inject({ method: 'POST', url: `/cases/${caseId}/decision`, headers: auth, payload: { label: 'maybe' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ field: string }>().field).toBe('label');
    expect((await app.inject({ method: 'POST', url: `/cases/${caseId}/decision`, payload: { label: 'fraud' } })).statusCode).toBe(401);

    // A decision on what the analyst saw: an alert that joined meanwhile makes it a 409, and nothing changes.
    const stale = await app.inject({ method: 'POST', url: `/cases/${caseId}/decision`, headers: auth, payload: { label: 'fraud', openAlertCount: 1 } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json<{ message: string }>().message).toMatch(/has 2 open alerts now, not 1; nothing was decided/);
    expect((await app.inject({ url: `/cases/${caseId}` })).json()).toMatchObject({ case: { status: 'open', openAlertCount: 2 } });

    const assigned = await app.inject({ method: 'POST', url: `/cases/${caseId}/assign`, headers: auth, payload: { assignee: 'Bob', analyst: 'Alice' } });
    expect(assigned.json()).toMatchObject({ assignee: 'Bob' });
    const decided = await app.inject({ method: 'POST', url: `/cases/${caseId}/decision`, headers: auth, payload: { label: 'fraud', note: 'card stolen', analyst: 'Bob', openAlertCount: 2 } });
    expect(decided.statusCode).toBe(200);
    expect(decided.json()).toMatchObject({ status: 'decided', openAlertCount: 0, decision: { label: 'fraud', note: 'card stolen', by: 'Bob' } });
    const again = await app.inject({ method: 'POST', url: `/cases/${caseId}/decision`, headers: auth, payload: { label: 'legit' } });
    expect(again.statusCode).toBe(409);

    // One label per alert of the case goes to fraud.labels.
    await outbox.publishPending();
    expect(producer.labels().map((label) => [label.transactionId, label.fraud, label.source]).sort()).toEqual(
      alerts.slice(0, 2).map((alert) => [alert.transaction.transactionId, true, 'analyst']).sort(),
    );
    const history = await app.inject({ url: `/cases/${caseId}/history` });
    expect(history.json<{ events: Array<{ actor: string; action: string }> }>().events.map((e) => `${e.actor} ${e.action}`)).toEqual([
      'detector opened',
      'detector alert-added',
      'Alice assigned',
      'Bob decided',
    ]);
    expect((await app.inject({ url: '/cases?status=decided' })).json<{ cases: unknown[] }>().cases).toHaveLength(1);
    expect((await app.inject({ url: '/stats' })).json()).toMatchObject({ cases: { open: 1, unassigned: 1 } });
  });

  it('answers 404 for an unknown case and 400 for a bad query, naming the field', async () => {
    const { app } = await testApp(openTestPglite);
    for (const url of ['/cases/not-a-uuid', '/cases/00000000-0000-8000-8000-000000000000', '/cases/00000000-0000-8000-8000-000000000000/history']) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
    const unknown = await app.inject({ method: 'POST', url: '/cases/00000000-0000-8000-8000-000000000000/assign', headers: auth, payload: { assignee: null } });
    expect(unknown.statusCode).toBe(404);
    const badSort = await app.inject({ url: '/cases?sort=random' });
    expect(badSort.statusCode).toBe(400);
    expect(badSort.json<{ field: string }>().field).toBe('sort');
    const badName = await app.inject({ method: 'POST', url: '/cases/00000000-0000-8000-8000-000000000000/assign', headers: auth, payload: { assignee: '<script>' } });
    expect(badName.json<{ field: string }>().field).toBe('assignee');
  });
});
