import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPendingDecision, type PendingDecision, type SendOptions } from '../../public/pending-decision.js';
import type { Case } from '../../public/types.js';

const DELAY = 5_000;

function kase(caseId: string, cardId = `card-${caseId}`): Case {
  return {
    caseId,
    cardId,
    status: 'open',
    openedAt: '2026-12-04T10:00:00.000Z',
    updatedAt: '2026-12-04T10:00:00.000Z',
    firstAlertAt: '2026-12-04T09:00:00.000Z',
    lastAlertAt: '2026-12-04T09:30:00.000Z',
    alertCount: 3,
    openAlertCount: 3,
    maxScore: 0.9,
    amountAtRisk: 100,
    currency: 'EUR',
    decisions: { block: 0, review: 3 },
    priority: 0.95,
    assignee: null,
    decision: null,
  };
}

/** A controller whose sends are recorded, each answered when the test says (`answer()`), and whose changes are recorded. */
function controller() {
  const sent: { caseId: string; label: string; options: SendOptions }[] = [];
  const answers: (() => void)[] = [];
  const changes: (string | null)[] = [];
  const pending = createPendingDecision({
    delayMs: DELAY,
    send: (decision: PendingDecision, options: SendOptions) => {
      sent.push({ caseId: decision.kase.caseId, label: decision.label, options });
      return new Promise<void>((resolve) => answers.push(resolve));
    },
    onChange: (current) => changes.push(current ? `${current.kase.caseId}:${current.label}` : null),
  });
  const answerAll = async () => {
    for (const resolve of answers.splice(0)) resolve();
    await vi.runAllTimersAsync();
  };
  return { pending, sent, changes, answerAll };
}

describe('a decision made with one key', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-04T10:00:00.000Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is sent once its undo window is over, not before', () => {
    const { pending, sent, changes } = controller();
    expect(pending.start(kase('a'), 'fraud')).toBe('scheduled');
    expect(pending.current()).toMatchObject({ kase: { caseId: 'a' }, label: 'fraud', sendAt: Date.now() + DELAY });
    vi.advanceTimersByTime(DELAY - 1);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([{ caseId: 'a', label: 'fraud', options: {} }]);
    expect(pending.current()).toBeNull();
    expect(changes).toEqual(['a:fraud', null]);
  });

  it('is never sent when undone within the window', () => {
    const { pending, sent, changes } = controller();
    pending.start(kase('a'), 'legit');
    vi.advanceTimersByTime(DELAY - 1);
    expect(pending.undo()).toMatchObject({ kase: { caseId: 'a' }, label: 'legit' });
    vi.advanceTimersByTime(10 * DELAY);
    expect(sent).toEqual([]);
    expect(pending.current()).toBeNull();
    expect(changes).toEqual(['a:legit', null]);
    // Nothing left to undo.
    expect(pending.undo()).toBeNull();
    expect(changes).toHaveLength(2);
  });

  it('is sent at once on its key again', () => {
    const { pending, sent } = controller();
    pending.start(kase('a'), 'fraud');
    vi.advanceTimersByTime(1_000);
    expect(pending.start(kase('a'), 'fraud')).toBe('sent');
    expect(sent).toEqual([{ caseId: 'a', label: 'fraud', options: {} }]);
    vi.advanceTimersByTime(10 * DELAY);
    expect(sent).toHaveLength(1);
  });

  it('switches its label on the other key, and its window starts again', () => {
    const { pending, sent, changes } = controller();
    pending.start(kase('a'), 'fraud');
    vi.advanceTimersByTime(3_000);
    expect(pending.start(kase('a'), 'legit')).toBe('switched');
    expect(pending.current()?.sendAt).toBe(Date.now() + DELAY);
    vi.advanceTimersByTime(DELAY - 1);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([{ caseId: 'a', label: 'legit', options: {} }]);
    expect(changes).toEqual(['a:fraud', 'a:legit', null]);
  });

  it('sends the one waiting at once when another case is decided: only the latest can be undone', () => {
    const { pending, sent, changes } = controller();
    pending.start(kase('a'), 'fraud');
    vi.advanceTimersByTime(1_000);
    expect(pending.start(kase('b'), 'fraud')).toBe('scheduled');
    expect(sent).toEqual([{ caseId: 'a', label: 'fraud', options: {} }]);
    expect(pending.current()).toMatchObject({ kase: { caseId: 'b' }, label: 'fraud' });
    expect(pending.undo()?.kase.caseId).toBe('b');
    vi.advanceTimersByTime(10 * DELAY);
    expect(sent).toHaveLength(1);
    expect(changes).toEqual(['a:fraud', 'b:fraud', null]);
  });

  it('is sent now, with keepalive, when the page is left', async () => {
    const { pending, sent, answerAll } = controller();
    expect(pending.flushNow({ keepalive: true })).toBeNull();
    pending.start(kase('a'), 'legit');
    const flushed = pending.flushNow({ keepalive: true });
    expect(sent).toEqual([{ caseId: 'a', label: 'legit', options: { keepalive: true } }]);
    expect(pending.current()).toBeNull();
    let settled = false;
    void flushed?.then(() => (settled = true));
    await answerAll();
    expect(settled).toBe(true);
    vi.advanceTimersByTime(10 * DELAY);
    expect(sent).toHaveLength(1);
  });

  it('does not start again on a case whose decision is on its way, until it is answered', async () => {
    const { pending, sent, answerAll } = controller();
    pending.start(kase('a'), 'fraud');
    vi.advanceTimersByTime(DELAY);
    expect(pending.isSending('a')).toBe(true);
    expect(pending.start(kase('a'), 'legit')).toBe('sending');
    expect(pending.current()).toBeNull();
    // Another case is not held up by it.
    expect(pending.start(kase('b'), 'legit')).toBe('scheduled');
    await answerAll();
    expect(pending.isSending('a')).toBe(false);
    expect(sent.map((decision) => `${decision.caseId}:${decision.label}`)).toEqual(['a:fraud', 'b:legit']);
  });

  it('refuses a window that is not a duration', () => {
    const send = () => Promise.resolve();
    expect(() => createPendingDecision({ delayMs: -1, send })).toThrow('Expected `delayMs` to be a finite number >= 0, got -1');
    expect(() => createPendingDecision({ delayMs: Number.NaN, send })).toThrow('got NaN');
  });
});
