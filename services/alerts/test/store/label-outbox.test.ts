import { describe, expect, it } from 'vitest';
import { Label } from '@fraudstream/shared';
import { createAlertStore } from '../../src/store/alert-store.js';
import { migrate, migrations } from '../../src/store/migrations.js';
import { backends, makeAlert, openTestStore } from '../fixtures.js';

describe.each(backends)('label outbox store on $name', ({ open }) => {
  it('queues one label per verdict with the verdict, oldest first, and forgets the ones removed', async () => {
    const store = await openTestStore(open);
    const [a, b] = [makeAlert({ cardId: 'card-1' }), makeAlert({ cardId: 'card-2' })];
    await store.insertAlerts([a!, b!]);
    const at = new Date('2026-03-01T12:00:00Z');
    await store.recordFeedback(a!.alertId, { label: 'fraud', note: 'stolen', at });
    await store.recordFeedback(b!.alertId, { label: 'legit', at });
    await store.recordFeedback(a!.alertId, { label: 'legit', note: 'the cardholder found the receipt', at });
    expect(await store.recordFeedback('00000000-0000-8000-8000-000000000000', { label: 'fraud', at })).toBeUndefined();

    const pending = await store.labelOutbox.pending(10);
    expect(pending.map((label) => [label.cardId, label.transactionId])).toEqual([
      ['card-1', a!.transaction.transactionId],
      ['card-2', b!.transaction.transactionId],
      ['card-1', a!.transaction.transactionId],
    ]);
    expect(pending.map((label) => Label.parse(JSON.parse(label.message)))).toMatchObject([
      { fraud: true, note: 'stolen', source: 'analyst', labeledAt: at.toISOString() },
      { fraud: false, source: 'analyst' },
      { fraud: false, note: 'the cardholder found the receipt' },
    ]);
    expect((await store.labelOutbox.pending(2)).map((label) => label.id)).toEqual(pending.slice(0, 2).map((label) => label.id));
    const backlog = await store.labelOutbox.backlog();
    expect(backlog.pending).toBe(3);
    expect(backlog.oldestAgeMs).toBeGreaterThanOrEqual(0);

    await store.labelOutbox.remove([pending[0]!.id, pending[2]!.id]);
    expect((await store.labelOutbox.pending(10)).map((label) => label.id)).toEqual([pending[1]!.id]);
    await store.labelOutbox.remove([]);
    await store.labelOutbox.remove([pending[1]!.id]);
    expect(await store.labelOutbox.backlog()).toEqual({ pending: 0, oldestAgeMs: null });
  });

  it('grants the publisher lease to one owner at a time until it is released or runs out', async () => {
    const store = await openTestStore(open);
    const { labelOutbox } = store;
    expect(await labelOutbox.takeLease('replica-a', 60_000)).toBe(true);
    expect(await labelOutbox.takeLease('replica-b', 60_000)).toBe(false);
    expect(await labelOutbox.takeLease('replica-a', 60_000)).toBe(true);
    await labelOutbox.releaseLease('replica-b');
    expect(await labelOutbox.takeLease('replica-b', 60_000)).toBe(false);
    await labelOutbox.releaseLease('replica-a');
    expect(await labelOutbox.takeLease('replica-b', 0)).toBe(true);
    // A lease of 0 ms has run out already: anyone may take it.
    expect(await labelOutbox.takeLease('replica-a', 60_000)).toBe(true);
  });

  it('adds the outbox to a database whose schema is at version 1, alerts kept', async () => {
    // What a database written by the previous release holds: migration 1 only.
    const db = await open();
    const [first] = migrations;
    await db.transaction(async (tx) => {
      await tx.query('CREATE TABLE alerts_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      for (const statement of first!.statements) await tx.query(statement);
      await tx.query('INSERT INTO alerts_schema_migrations (version, name) VALUES (1, $1)', [first!.name]);
    });
    const alert = makeAlert();
    await db.query(
      `INSERT INTO alerts (alert_id, card_id, terminal_id, score, model_version, detected_at, alert)
       VALUES ($1::uuid, $2, $3, $4, $5, $6::timestamptz, $7::jsonb)`,
      [alert.alertId, alert.transaction.cardId, alert.transaction.terminalId, alert.score, alert.modelVersion, alert.detectedAt, JSON.stringify(alert)],
    );
    expect(await migrate(db)).toEqual([2, 3, 4, 5]);
    const store = await createAlertStore(db);
    // The open alert got its card's case from the migration; its verdict decides the case.
    const [opened] = (await store.cases.list({ status: 'open', sort: 'priority', limit: 10 })).cases;
    expect(opened).toMatchObject({ cardId: alert.transaction.cardId, alertCount: 1, openAlertCount: 1 });
    expect(await store.recordFeedback(alert.alertId, { label: 'fraud', at: new Date() })).toMatchObject({ status: 'fraud', caseId: opened?.caseId });
    expect(await store.labelOutbox.pending(10)).toMatchObject([{ transactionId: alert.transaction.transactionId }]);
    expect(await store.cases.get(opened?.caseId ?? '')).toMatchObject({ status: 'decided', decision: { label: 'fraud' } });
  });
});
