import { describe, expect, it } from 'vitest';
import { alertIdFor } from '@fraudstream/shared';
import { CaseStreamEvent } from '../../src/cases/schemas.js';
import { backends, chargeback, makeAlert, openTestStore, scoredPayment } from '../fixtures.js';

const at = new Date('2026-12-04T12:00:00Z');

describe.each(backends)('case store on $name', ({ open }) => {
  it('groups a card\'s alerts into its open case, ranks cases by priority, and opens a new case after a decision', async () => {
    const store = await openTestStore(open);
    const first = makeAlert({ cardId: 'card-1', score: 0.8, amount: 400 });
    const second = makeAlert({ cardId: 'card-1', score: 0.95, amount: 600, decision: 'block' });
    const other = makeAlert({ cardId: 'card-2', score: 0.99, amount: 10 });
    await store.insertAlerts([first, other]);
    await store.insertAlerts([second, first]);

    const { cases } = await store.cases.list({ status: 'open', sort: 'priority', limit: 10 });
    expect(cases.map((c) => [c.cardId, c.alertCount, c.openAlertCount])).toEqual([['card-1', 2, 2], ['card-2', 1, 1]]);
    const [card1] = cases;
    // 0.95 + 1 (a block) + min(1, 1000 / 1000) × 0.5
    expect(card1).toMatchObject({ maxScore: 0.95, amountAtRisk: 1000, currency: 'EUR', decisions: { block: 1, review: 1 }, assignee: null, decision: null });
    expect(card1?.priority).toBeCloseTo(2.45, 6);
    expect((await store.cases.list({ status: 'open', sort: 'age', limit: 1 })).nextCursor).toBe('1');
    expect((await store.cases.alerts(card1!.caseId)).map((alert) => alert.alertId).sort()).toEqual([first.alertId, second.alertId].sort());

    const decided = await store.cases.decide(card1!.caseId, { label: 'fraud', note: 'cardholder denies', analyst: 'alice', at });
    expect(decided).not.toBeTypeOf('string');
    if (typeof decided === 'string' || 'changed' in decided) throw new Error(`not decided: ${JSON.stringify(decided)}`);
    expect(decided.case).toMatchObject({ status: 'decided', openAlertCount: 0, amountAtRisk: 0, decision: { label: 'fraud', note: 'cardholder denies', by: 'alice', at: at.toISOString() } });
    expect(decided.alerts.map((alert) => alert.status)).toEqual(['fraud', 'fraud']);
    // One Label per alert, queued in the decision's transaction.
    expect((await store.labelOutbox.pending(10)).map((label) => label.transactionId).sort()).toEqual([first.transaction.transactionId, second.transaction.transactionId].sort());
    expect(await store.cases.decide(card1!.caseId, { label: 'legit', analyst: 'bob', at })).toBe('already-decided');
    expect(await store.cases.decide('00000000-0000-8000-8000-000000000000', { label: 'legit', analyst: 'bob', at })).toBe('not-found');

    // A later alert of the card opens a new case.
    await store.insertAlerts([makeAlert({ cardId: 'card-1', score: 0.7 })]);
    const open1 = (await store.cases.list({ status: 'open', sort: 'priority', limit: 10 })).cases.filter((c) => c.cardId === 'card-1');
    expect(open1).toHaveLength(1);
    expect(open1[0]?.caseId).not.toBe(card1?.caseId);
    expect((await store.cases.list({ status: 'decided', sort: 'priority', limit: 10 })).cases.map((c) => c.caseId)).toEqual([card1?.caseId]);

    const history = await store.cases.history(card1!.caseId);
    expect(history.map((e) => [e.actor, e.action])).toEqual([['detector', 'opened'], ['detector', 'alert-added'], ['alice', 'decided']]);
    expect(history.at(-1)?.detail).toEqual({ label: 'fraud', note: 'cardholder denies', alerts: 2 });
    expect((await store.stats(at)).cases).toMatchObject({ open: 2, unassigned: 2 });
  });

  it('assigns, records who did, and decides a case once its last alert has a verdict of its own', async () => {
    const store = await openTestStore(open);
    const a = makeAlert({ cardId: 'card-5', amount: 100 });
    const b = makeAlert({ cardId: 'card-5', amount: 50 });
    await store.insertAlerts([a, b]);
    const [opened] = (await store.cases.list({ status: 'open', sort: 'priority', limit: 10 })).cases;
    expect(await store.cases.assign(opened!.caseId, 'bob', 'alice')).toMatchObject({ assignee: 'bob' });
    expect((await store.cases.list({ status: 'open', sort: 'priority', assignee: 'bob', limit: 10 })).cases).toHaveLength(1);
    expect((await store.cases.list({ status: 'open', sort: 'priority', assignee: '', limit: 10 })).cases).toHaveLength(0);

    await store.recordFeedback(a.alertId, { label: 'legit', at });
    expect(await store.cases.get(opened!.caseId)).toMatchObject({ status: 'open', openAlertCount: 1, amountAtRisk: 50 });
    // Changing a verdict does not count twice.
    await store.recordFeedback(a.alertId, { label: 'legit', at });
    expect(await store.cases.get(opened!.caseId)).toMatchObject({ openAlertCount: 1 });
    await store.recordFeedback(b.alertId, { label: 'fraud', at });
    expect(await store.cases.get(opened!.caseId)).toMatchObject({ status: 'decided', openAlertCount: 0, decision: { label: 'fraud', by: 'analyst' } });
    expect((await store.cases.history(opened!.caseId)).map((e) => `${e.actor} ${e.action}`)).toEqual([
      'detector opened',
      'detector alert-added',
      'alice assigned',
      'analyst alert-reviewed',
      'analyst alert-reviewed',
      'analyst decided',
    ]);
  });

  it('reads the audit trail in order for the case stream, by case or card, within the bounds, with each case as it is now', async () => {
    const store = await openTestStore(open);
    expect(await store.cases.latestEvent()).toBe(0);
    await store.insertAlerts([makeAlert({ cardId: 'card-3' }), makeAlert({ cardId: 'card-4' }), makeAlert({ cardId: 'card-3' })]);
    const latest = await store.cases.latestEvent();
    const all = await store.cases.eventsAfter(0, latest, {}, 10);
    expect(all.map((row) => [row.cardId, (JSON.parse(row.json) as CaseStreamEvent).change])).toEqual([
      ['card-3', 'opened'],
      ['card-4', 'opened'],
      ['card-3', 'alert-added'],
    ]);
    expect(all.map((row) => row.sequence)).toEqual([...all.map((row) => row.sequence)].sort((a, b) => a - b));
    expect(all.at(-1)?.sequence).toBe(latest);
    const card3 = all[0]!;
    const parsed = CaseStreamEvent.parse(JSON.parse(card3.json));
    // The first entry carries the case as it is now: both of its alerts.
    expect(parsed).toMatchObject({ eventId: card3.sequence, type: 'opened', actor: 'detector', case: { caseId: card3.caseId, alertCount: 2 } });

    expect((await store.cases.eventsAfter(0, latest, { cardId: 'card-4' }, 10)).map((row) => row.cardId)).toEqual(['card-4']);
    expect((await store.cases.eventsAfter(0, latest, { caseId: card3.caseId }, 10)).map((row) => row.sequence)).toEqual([all[0]!.sequence, all[2]!.sequence]);
    expect((await store.cases.eventsAfter(all[0]!.sequence, all[1]!.sequence, {}, 10)).map((row) => row.sequence)).toEqual([all[1]!.sequence]);
    expect(await store.cases.eventsAfter(0, latest, {}, 1)).toHaveLength(1);
    expect(await store.cases.eventsAfter(0, latest, { caseId: 'not-a-uuid' }, 10)).toEqual([]);
  });

  it('lists the card\'s payments from the payments store with their labels and alert ids', async () => {
    const store = await openTestStore(open);
    const quiet = scoredPayment('tx-1', '2018-04-01T10:00:00.000Z', { cardId: 'card-9', channel: 'pos' });
    const flagged = scoredPayment('tx-2', '2018-04-02T10:00:00.000Z', { cardId: 'card-9', score: 0.9, flagged: true, decision: 'review' });
    await store.payments.addScores([quiet, flagged, scoredPayment('tx-3', '2018-04-02T11:00:00.000Z', { cardId: 'card-8' })]);
    await store.payments.addLabels([chargeback(flagged, '2018-04-09T10:00:00.000Z')]);
    const payments = await store.cases.payments('card-9', new Date('2018-03-25T00:00:00Z'), 100);
    expect(payments).toEqual([
      expect.objectContaining({ transactionId: 'tx-2', score: 0.9, flagged: true, decision: 'review', alertId: alertIdFor({ transactionId: 'tx-2', cardId: 'card-9' }), label: { fraud: true, source: 'chargeback' } }),
      expect.objectContaining({ transactionId: 'tx-1', amount: 42.5, currency: 'EUR', terminalId: 'term-1', channel: 'pos', flagged: false, alertId: null, label: null }),
    ]);
    expect(await store.cases.payments('card-9', new Date('2018-04-02T00:00:00Z'), 100)).toHaveLength(1);
  });
});
