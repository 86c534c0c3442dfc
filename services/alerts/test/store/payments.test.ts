import { describe, expect, it } from 'vitest';
import { createAlertStore } from '../../src/store/alert-store.js';
import { backends, chargeback, scoredPayment } from '../fixtures.js';

describe.each(backends)('payment store on $name', ({ open }) => {
  it('stores each payment once in its day, joins the latest label, and counts per day, model and card', async () => {
    const store = await createAlertStore(await open(), { paymentsKeepDays: 3 });
    const a = scoredPayment('tx-a', '2018-04-01T10:00:00.000Z', { score: 0.9, flagged: true, decision: 'review', ruleHits: [{ ruleId: 'big', version: 1, name: 'Big', action: 'review' }] });
    const b = scoredPayment('tx-b', '2018-04-01T11:00:00.000Z', { score: 0.2 });
    const c = scoredPayment('tx-c', '2018-04-02T09:00:00.000Z', { score: 0.7, flagged: true, decision: 'review', modelVersion: 'm2', challenger: { modelVersion: 'c1', score: 0.3, threshold: 0.5, flagged: false } });
    expect(await store.payments.addScores([a, b, c])).toEqual({ inserted: 3, tooOld: 0 });
    // Redelivered after a crash: nothing new.
    expect(await store.payments.addScores([a, c])).toEqual({ inserted: 0, tooOld: 0 });
    expect(await store.payments.days()).toEqual(['2018-04-01', '2018-04-02']);

    // b is a fraud the model missed; an analyst first called a legit, a later chargeback says fraud.
    expect(await store.payments.addLabels([chargeback(b, '2018-04-08T11:00:00.000Z'), { ...chargeback(a, '2018-04-01T12:00:00.000Z', false), source: 'analyst' }])).toBe(2);
    expect(await store.payments.addLabels([chargeback(a, '2018-04-08T10:00:00.000Z'), { ...chargeback(b, '2018-04-02T00:00:00.000Z', false), source: 'analyst' }])).toBe(1);

    expect(await store.payments.dayCounts('2018-04-01', 'champion')).toEqual([
      { day: '2018-04-01', modelVersion: 'm1', payments: 2, alerts: 1, frauds: 2, truePositives: 1 },
      { day: '2018-04-02', modelVersion: 'm2', payments: 1, alerts: 1, frauds: 0, truePositives: 0 },
    ]);
    expect(await store.payments.dayCounts('2018-04-01', 'challenger')).toEqual([{ day: '2018-04-02', modelVersion: 'c1', payments: 1, alerts: 0, frauds: 0, truePositives: 0 }]);
    expect(await store.payments.ruleDayCounts('2018-04-01')).toEqual([{ day: '2018-04-01', ruleId: 'big', hits: 1, truePositives: 1 }]);
    const cards = await store.payments.cardDays('2018-04-02', 'champion');
    expect(cards).toEqual([{ day: '2018-04-02', modelVersion: 'm2', card: 'card-c', score: expect.closeTo(0.7, 5) as number, fraud: false }]);

    expect(await store.payments.watermarks()).toEqual({ payments: new Date('2018-04-02T09:00:00.000Z'), chargebacks: new Date('2018-04-08T11:00:00.000Z') });
    // Bins of feature 1 (values 2.5) and of the score, counted by the database; [from, to) in event time.
    const from = new Date('2018-04-01T10:30:00Z');
    const to = new Date('2018-04-03T00:00:00Z');
    expect(await store.payments.binCounts({ feature: 1 }, [1, 2.5, 3], from, to)).toEqual([0, 0, 2, 0]);
    expect(await store.payments.binCounts('score', [0.5], new Date('2018-04-01T00:00:00Z'), to)).toEqual([1, 2]);
    expect(await store.payments.binCounts('score', [], from, to)).toEqual([2]);
    expect(await store.payments.binCounts({ feature: 7 }, [0], from, to)).toEqual([0, 0]);
    const quantiles = await store.payments.scoreQuantiles([0.1, 0.5, 0.9], new Date('2018-04-01T00:00:00Z'), to);
    expect(quantiles.map((q) => q.toFixed(1))).toEqual(['0.2', '0.7', '0.9']);
    expect(await store.payments.scoreQuantiles([0.5], to, new Date('2018-04-04T00:00:00Z'))).toEqual([]);
  });

  it('keeps the last days only: older scores are skipped, old partitions and labels dropped', async () => {
    const store = await createAlertStore(await open(), { paymentsKeepDays: 2 });
    const old = scoredPayment('tx-old', '2018-04-01T10:00:00.000Z');
    await store.payments.addScores([old, scoredPayment('tx-new', '2018-04-03T10:00:00.000Z')]);
    expect(await store.payments.days()).toEqual(['2018-04-03']);
    expect(await store.payments.addScores([scoredPayment('tx-mid', '2018-04-02T10:00:00.000Z'), scoredPayment('tx-older', '2018-03-31T10:00:00.000Z')])).toEqual({ inserted: 1, tooOld: 1 });
    await store.payments.addLabels([chargeback(old, '2018-04-08T10:00:00.000Z')]);
    await store.payments.addScores([scoredPayment('tx-next', '2018-04-04T00:00:00.000Z')]);
    expect(await store.payments.prune(2)).toEqual(['2018-04-02']);
    expect(await store.payments.days()).toEqual(['2018-04-03', '2018-04-04']);
    expect((await store.payments.watermarks()).chargebacks).toBeNull();
  });
});
