import { describe, expect, it, onTestFinished } from 'vitest';
import { CaseStreamEvent } from '../../src/cases/schemas.js';
import { apiToken, makeAlert, openTestPglite, testApp } from '../fixtures.js';
import { connect } from './sse-client.js';

const auth = { authorization: `Bearer ${apiToken}` };

async function listening(app: Awaited<ReturnType<typeof testApp>>['app']): Promise<string> {
  return app.listen({ port: 0, host: '127.0.0.1' });
}

/** Waits for a condition that a stream's client reaches once the server has sent enough. */
async function eventually(predicate: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('GET /cases/stream', () => {
  it('sends a case opened, updated by new alerts and an assignment, then decided, each with the case as it is; resumes from Last-Event-ID', async () => {
    const { app, store } = await testApp(openTestPglite);
    await store.insertAlerts([makeAlert({ cardId: 'card-1', score: 0.7 })]);
    const address = await listening(app);

    const everything = await connect(`${address}/cases/stream`);
    onTestFinished(() => everything.close());
    expect(everything.response.status).toBe(200);
    expect(everything.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await eventually(() => everything.events.some((event) => event.comment === 'connected'), 'the stream to open');

    await store.insertAlerts([makeAlert({ cardId: 'card-1', score: 0.9, amount: 50 }), makeAlert({ cardId: 'card-2', score: 0.6 })]);
    await eventually(() => everything.data('case').length === 2, 'the new alerts\' events');
    const [joined, opened] = everything.data<CaseStreamEvent>('case').map((event) => CaseStreamEvent.parse(event));
    expect([joined?.type, joined?.change, joined?.case.cardId, joined?.case.alertCount]).toEqual(['updated', 'alert-added', 'card-1', 2]);
    expect([opened?.type, opened?.change, opened?.case.cardId, opened?.actor]).toEqual(['opened', 'opened', 'card-2', 'detector']);
    const caseId = joined!.case.caseId;

    // One case's stream, as a case page opens it.
    const one = await connect(`${address}/cases/stream?caseId=${caseId.toUpperCase()}`);
    onTestFinished(() => one.close());
    await eventually(() => one.events.some((event) => event.comment === 'connected'), 'the case stream to open');

    const assigned = await app.inject({ method: 'POST', url: `/cases/${caseId}/assign`, headers: auth, payload: { assignee: 'Bob', analyst: 'Alice' } });
    expect(assigned.statusCode).toBe(200);
    const decided = await app.inject({ method: 'POST', url: `/cases/${caseId}/decision`, headers: auth, payload: { label: 'fraud', analyst: 'Bob' } });
    expect(decided.statusCode).toBe(200);
    await eventually(() => everything.data('case').length === 4 && one.data('case').length === 2, 'the assignment and the decision');

    const changes = everything.data<CaseStreamEvent>('case').slice(2);
    expect(changes.map((event) => [event.type, event.change, event.actor])).toEqual([
      ['updated', 'assigned', 'Alice'],
      ['decided', 'decided', 'Bob'],
    ]);
    expect(changes.at(-1)?.case).toMatchObject({ status: 'decided', openAlertCount: 0, decision: { label: 'fraud', by: 'Bob' } });
    expect(one.data<CaseStreamEvent>('case')).toEqual(changes);
    // Event ids are the audit trail's, in increasing order.
    const ids = everything.events.filter((event) => event.event === 'case').map((event) => Number(event.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids.map(String)).toEqual(everything.data<CaseStreamEvent>('case').map((event) => String(event.eventId)));

    // A client resuming from before the first event gets every change, once, in order.
    const resumed = await connect(`${address}/cases/stream`, { 'last-event-id': '0' });
    onTestFinished(() => resumed.close());
    await eventually(() => resumed.data('case').length === 5, 'the whole trail');
    expect(resumed.data<CaseStreamEvent>('case').map((event) => [event.change, event.case.cardId])).toEqual([
      ['opened', 'card-1'],
      ['alert-added', 'card-1'],
      ['opened', 'card-2'],
      ['assigned', 'card-1'],
      ['decided', 'card-1'],
    ]);
  });

  it('answers bad filters and resume positions with a 400 naming the field', async () => {
    const { app } = await testApp(openTestPglite);
    for (const [query, field] of [
      ['caseId=not-a-case', 'caseId'],
      ['cardId=', 'cardId'],
      ['lastEventId=-1', 'lastEventId'],
      ['lastEventId=99999999999999999', 'lastEventId'],
    ] as const) {
      const response = await app.inject({ url: `/cases/stream?${query}` });
      expect(response.statusCode, query).toBe(400);
      expect(response.json<{ field: string }>().field, query).toBe(field);
    }
    const header = await app.inject({ url: '/cases/stream', headers: { 'last-event-id': 'x' } });
    expect(header.statusCode).toBe(400);
  });

  it('keeps the stream open when the database fails, counts the failed query, and sends the change at the next wake-up', async () => {
    const { app, store, metrics } = await testApp(openTestPglite);
    const address = await listening(app);
    const stream = await connect(`${address}/cases/stream`);
    onTestFinished(() => stream.close());
    await eventually(() => stream.events.some((event) => event.comment === 'connected'), 'the stream to open');

    const { eventsAfter } = store.cases;
    let failing = true;
    store.cases.eventsAfter = (...args) => (failing ? Promise.reject(new Error('connection terminated')) : eventsAfter(...args));
    await store.insertAlerts([makeAlert({ cardId: 'card-9' })]);
    const failures = async () => (await metrics.streamQueryFailures.get()).values.find((value) => value.labels.stream === 'case' && value.labels.query === 'broadcast')?.value ?? 0;
    // The feed polls for other replicas' changes every second: that wake-up fails until the database is back.
    await eventually(async () => (await failures()) >= 1, 'the failed query to be counted');
    expect(stream.ended()).toBe(false);
    failing = false;
    await eventually(() => stream.data('case').length === 1, 'the change once the database is back');
    expect(stream.data<CaseStreamEvent>('case')[0]?.case.cardId).toBe('card-9');
  });
});
