import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  AMOUNT_FLOOR,
  DEFAULT_FILTERS,
  MAX_REFRESH,
  PAGE_SIZE,
  PRIORITY_MAX,
  SHORTCUTS,
  alertSummary,
  amountRange,
  amountTicks,
  analystName,
  assignMessage,
  caseHeader,
  caseHref,
  caseRow,
  caseTotals,
  casesQuery,
  decideHelp,
  decidedMessage,
  decisionText,
  emptyText,
  filtersFrom,
  formatAge,
  formatAxisAmount,
  formatInstant,
  historyItem,
  inQueue,
  keyName,
  moveSelection,
  nextOpenCase,
  nextOpenIndex,
  notSentMessage,
  pageSearch,
  paymentRows,
  pendingMessage,
  positiveReasons,
  priorityBar,
  priorityTitle,
  queueSummary,
  refreshLimit,
  reselect,
  shortcutOf,
  timelineOf,
  timelineReadout,
  timelineSummary,
} from '../../public/cases-format.js';
import { formatAmount } from '../../public/format.js';
import type { Case, CaseAlert, CaseEvent, CasePayment } from '../../public/types.js';

const NOW = new Date('2026-12-04T12:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const ago = (ms: number): string => new Date(NOW.getTime() - ms).toISOString();

/** A case as GET /cases sends it, open, its priority by the contract's formula. */
function kase(overrides: Partial<Case> = {}): Case {
  const base: Case = {
    caseId: '3f0c0000-0000-4000-8000-000000000001',
    cardId: 'card-42',
    status: 'open',
    openedAt: ago(12 * MIN),
    updatedAt: ago(5 * MIN),
    firstAlertAt: ago(2 * DAY),
    lastAlertAt: ago(1 * HOUR),
    alertCount: 3,
    openAlertCount: 3,
    maxScore: 0.97,
    amountAtRisk: 1234.5,
    currency: 'EUR',
    decisions: { block: 1, review: 2 },
    priority: 0,
    assignee: null,
    decision: null,
  };
  const merged = { ...base, ...overrides };
  const priority = merged.maxScore + (merged.decisions.block > 0 ? 1 : 0) + Math.min(1, merged.amountAtRisk / 1000) * 0.5;
  return { ...merged, priority: overrides.priority ?? priority };
}

function payment(overrides: Partial<CasePayment> = {}): CasePayment {
  return {
    transactionId: 'tx-1',
    timestamp: ago(3 * DAY),
    amount: 12.5,
    currency: 'EUR',
    terminalId: 'term-1',
    channel: 'ecommerce',
    merchantCategory: '5411',
    score: 0.12,
    flagged: false,
    decision: null,
    ruleHits: [],
    alertId: null,
    label: null,
    ...overrides,
  };
}

function alert(overrides: Partial<CaseAlert> & { tx?: Partial<CaseAlert['transaction']> } = {}): CaseAlert {
  const { tx, ...rest } = overrides;
  return {
    alertId: 'a0000000-0000-4000-8000-000000000001',
    sequence: 1,
    status: 'open',
    detectedAt: ago(HOUR),
    score: 0.9,
    threshold: 0.5,
    modelVersion: 'gbdt-1',
    reasons: [],
    decision: 'review',
    ruleHits: [],
    feedback: null,
    transaction: { transactionId: 'tx-alerted', timestamp: ago(HOUR), cardId: 'card-42', terminalId: 'term-9', amount: 900, currency: 'EUR', ...tx },
    ...rest,
  };
}

describe('the queue filters', () => {
  it('reads the page query, the defaults for what is missing or unknown', () => {
    expect(filtersFrom('')).toEqual(DEFAULT_FILTERS);
    expect(filtersFrom('?status=decided&sort=age&assignee=alice')).toEqual({ status: 'decided', sort: 'age', assignee: 'alice' });
    expect(filtersFrom('?status=closed&sort=size')).toEqual(DEFAULT_FILTERS);
  });

  it('keeps an empty assignee: the unassigned cases, not anyone’s', () => {
    expect(filtersFrom('?assignee=').assignee).toBe('');
    expect(casesQuery({ ...DEFAULT_FILTERS, assignee: '' })).toBe('status=open&sort=priority&assignee=');
    expect(casesQuery(DEFAULT_FILTERS)).toBe('status=open&sort=priority');
  });

  it('asks for a page with its limit and cursor', () => {
    expect(casesQuery({ status: 'decided', sort: 'age', assignee: 'bob smith' }, { limit: 50, cursor: '50' })).toBe('status=decided&sort=age&assignee=bob+smith&limit=50&cursor=50');
    expect(casesQuery(DEFAULT_FILTERS, { limit: 50, cursor: null })).toBe('status=open&sort=priority&limit=50');
  });

  it('puts only what is not the default in the page URL, and reads it back the same', () => {
    expect(pageSearch(DEFAULT_FILTERS)).toBe('');
    fc.assert(
      fc.property(fc.constantFrom('open' as const, 'decided' as const), fc.constantFrom('priority' as const, 'age' as const), fc.option(fc.string({ maxLength: 10 }).map((s) => s.trim())), (status, sort, assignee) => {
        const filters = { status, sort, assignee };
        expect(filtersFrom(pageSearch(filters))).toEqual(filters);
      }),
    );
  });

  it('says whether a case still belongs in the queue after a change', () => {
    expect(inQueue(kase(), DEFAULT_FILTERS)).toBe(true);
    expect(inQueue(kase({ status: 'decided' }), DEFAULT_FILTERS)).toBe(false);
    expect(inQueue(kase({ assignee: 'carol' }), { ...DEFAULT_FILTERS, assignee: '' })).toBe(false);
    expect(inQueue(kase({ assignee: null }), { ...DEFAULT_FILTERS, assignee: '' })).toBe(true);
    expect(inQueue(kase({ assignee: 'carol' }), { ...DEFAULT_FILTERS, assignee: 'carol' })).toBe(true);
  });

  it('refreshes as many cases as are shown, in pages, within the cap', () => {
    expect(refreshLimit(0)).toBe(PAGE_SIZE);
    expect(refreshLimit(51)).toBe(2 * PAGE_SIZE);
    expect(refreshLimit(10_000)).toBe(MAX_REFRESH);
  });

  it('sums up the queue and says why it is empty', () => {
    expect(queueSummary(DEFAULT_FILTERS, 12, false)).toBe('12 open cases · highest priority first');
    expect(queueSummary({ status: 'decided', sort: 'age', assignee: '' }, 1, false)).toBe('1 decided case unassigned · oldest first');
    expect(queueSummary(DEFAULT_FILTERS, 50, true)).toBe('50+ open cases · highest priority first');
    expect(emptyText(DEFAULT_FILTERS)).toMatch(/^No open cases: the desk is clear/);
    expect(emptyText({ status: 'open', sort: 'age', assignee: 'zed' })).toBe('No open cases assigned to zed.');
    expect(emptyText({ status: 'decided', sort: 'age', assignee: null })).toBe('No decided cases.');
  });
});

describe('ages', () => {
  it('counts minutes within the hour, hours within two days, then days', () => {
    expect(formatAge(-5000)).toBe('<1 min');
    expect(formatAge(59_999)).toBe('<1 min');
    expect(formatAge(12 * MIN)).toBe('12 min');
    expect(formatAge(59 * MIN + 59_000)).toBe('59 min');
    expect(formatAge(HOUR)).toBe('1 h');
    expect(formatAge(3 * HOUR + 40 * MIN)).toBe('3 h');
    expect(formatAge(47 * HOUR)).toBe('47 h');
    expect(formatAge(2 * DAY)).toBe('2 d');
  });
});

describe('the priority bar', () => {
  it('is the priority as a share of the highest the formula gives, and coloured by it', () => {
    expect(priorityBar(PRIORITY_MAX)).toEqual({ width: 1, level: 'high' });
    expect(priorityBar(1.62).width).toBeCloseTo(1.62 / 2.5);
    expect(priorityBar(1.2).level).toBe('mid');
    expect(priorityBar(0.6).level).toBe('low');
    expect(priorityBar(-1).width).toBe(0);
    expect(priorityBar(9).width).toBe(1);
  });

  it('explains the priority by its parts', () => {
    expect(priorityTitle(kase({ maxScore: 0.97, amountAtRisk: 240 }))).toBe('priority 2.09 = max score 0.97 + 1 (a block) + 0.12 (amount at risk)');
    expect(priorityTitle(kase({ decisions: { block: 0, review: 2 }, amountAtRisk: 5000, maxScore: 0.6 }))).toBe('priority 1.10 = max score 0.60 + 0 (no block) + 0.50 (amount at risk)');
  });
});

describe('a queue row', () => {
  it('shows what the analyst ranks cases by', () => {
    const row = caseRow(kase({ openAlertCount: 2, assignee: 'alice' }), NOW);
    expect(row).toMatchObject({
      href: 'case.html?caseId=3f0c0000-0000-4000-8000-000000000001',
      cardId: 'card-42',
      status: 'open',
      label: null,
      age: { text: '12 min' },
      alerts: { text: '2/3', title: '2 open of 3 alerts' },
      maxScore: { text: '0.970', width: 0.97, level: 'score-high' },
      atRisk: { amount: formatAmount(1234.5), currency: 'EUR' },
      decisions: [
        { kind: 'block', count: 1 },
        { kind: 'review', count: 2 },
      ],
      assignee: 'alice',
    });
    expect(row.priority.text).toBe('2.47');
    expect(row.summary).toContain('card-42, priority 2.47, open 12 min, 2 of 3 alerts open');
    expect(row.summary).toContain('assigned to alice');
  });

  it('leaves out the decisions no alert asked for, and shows a decided case’s verdict', () => {
    const row = caseRow(kase({ status: 'decided', decisions: { block: 0, review: 1 }, decision: { label: 'legit', note: null, by: 'bob', at: ago(MIN) } }), NOW);
    expect(row.decisions).toEqual([{ kind: 'review', count: 1 }]);
    expect(row.label).toBe('legit');
    expect(row.summary).toContain('decided legit');
  });

  it('copes with a case whose currency the store does not know', () => {
    expect(caseRow(kase({ currency: null }), NOW).atRisk.currency).toBe('');
  });

  it('links a case id safely', () => {
    expect(caseHref('a b&c')).toBe('case.html?caseId=a%20b%26c');
  });
});

describe('the totals', () => {
  it('shows dashes for a service without cases in /stats', () => {
    expect(caseTotals(undefined, NOW)).toEqual({ open: '–', unassigned: '–', decidedLastDay: '–', oldest: '–' });
  });

  it('shows the counts and the oldest open case’s age', () => {
    expect(caseTotals({ open: 12, unassigned: 7, decidedLastDay: 30, oldestOpenAt: ago(3 * HOUR) }, NOW)).toEqual({ open: '12', unassigned: '7', decidedLastDay: '30', oldest: '3 h' });
    expect(caseTotals({ open: 0, unassigned: 0, decidedLastDay: 0, oldestOpenAt: null }, NOW).oldest).toBe('–');
  });
});

describe('the keyboard', () => {
  it('maps each key to its shortcut on the queue', () => {
    const on = (key: string) => shortcutOf({ key }, 'queue');
    expect([on('j'), on('ArrowDown'), on('k'), on('ArrowUp'), on('Enter'), on('f'), on('l'), on('a'), on('?'), on('u'), on('Escape')]).toEqual(['next', 'next', 'previous', 'previous', 'open', 'fraud', 'legit', 'assign', 'help', 'undo', 'undo']);
    expect(on('x')).toBeNull();
    expect(on('F')).toBeNull();
  });

  it('has no moving or opening on the case page', () => {
    expect(shortcutOf({ key: 'j' }, 'case')).toBeNull();
    expect(shortcutOf({ key: 'Enter' }, 'case')).toBeNull();
    expect(shortcutOf({ key: 'f' }, 'case')).toBe('fraud');
    expect(shortcutOf({ key: 'a' }, 'case')).toBe('assign');
  });

  it('leaves the browser’s keys and typing alone, but Escape', () => {
    expect(shortcutOf({ key: 'f', ctrlKey: true }, 'queue')).toBeNull();
    expect(shortcutOf({ key: 'l', metaKey: true }, 'queue')).toBeNull();
    expect(shortcutOf({ key: 'j', altKey: true }, 'queue')).toBeNull();
    expect(shortcutOf({ key: 'f', editable: true }, 'case')).toBeNull();
    expect(shortcutOf({ key: 'u', editable: true }, 'case')).toBeNull();
    expect(shortcutOf({ key: 'Escape', editable: true }, 'case')).toBe('undo');
  });

  it('lists every shortcut once, with its keys as the help shows them', () => {
    const keys = SHORTCUTS.flatMap((entry) => entry.keys);
    expect(new Set(keys).size).toBe(keys.length);
    expect(SHORTCUTS.find((entry) => entry.shortcut === 'next')?.keys.map(keyName)).toEqual(['j', '↓']);
    expect(keyName('Escape')).toBe('Esc');
  });

  it('says in the help how a decision from the keyboard is undone or sent now', () => {
    const text = (shortcut: string) => SHORTCUTS.find((entry) => entry.shortcut === shortcut)?.text;
    expect(text('fraud')).toBe('decide fraud (u or Esc undoes it within 5 s; f again sends it now)');
    expect(text('legit')).toBe('decide legit (u or Esc undoes it within 5 s; l again sends it now)');
    expect(SHORTCUTS.find((entry) => entry.shortcut === 'undo')?.keys.map(keyName)).toEqual(['u', 'Esc']);
  });

  it('moves the selection within the rows', () => {
    expect(moveSelection(-1, 5, 1)).toBe(0);
    expect(moveSelection(-1, 5, -1)).toBe(0);
    expect(moveSelection(4, 5, 1)).toBe(4);
    expect(moveSelection(0, 5, -1)).toBe(0);
    expect(moveSelection(2, 0, 1)).toBe(-1);
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 60 }), fc.integer({ min: 1, max: 60 }), fc.constantFrom(-1, 1), (index, count, delta) => {
        const moved = moveSelection(Math.min(index, count - 1), count, delta);
        expect(moved).toBeGreaterThanOrEqual(0);
        expect(moved).toBeLessThan(count);
      }),
    );
  });

  it('keeps the selected case across a refresh, else the row where it was', () => {
    expect(reselect(['a', 'b', 'c'], 'c', 0)).toBe(2);
    expect(reselect(['a', 'c'], 'b', 1)).toBe(1);
    expect(reselect(['a'], 'b', 3)).toBe(0);
    expect(reselect([], 'b', 3)).toBe(-1);
    expect(reselect(['a', 'b'], null, -1)).toBe(0);
  });
});

describe('a decision from the keyboard', () => {
  it('moves the selection on to the next open case, or stays on the last', () => {
    const rows = (...statuses: ('open' | 'decided')[]) => statuses.map((status) => ({ status }));
    expect(nextOpenIndex(rows('open', 'open', 'open'), 0)).toBe(1);
    expect(nextOpenIndex(rows('open', 'decided', 'open'), 0)).toBe(2);
    expect(nextOpenIndex(rows('open', 'open'), 1)).toBe(1);
    expect(nextOpenIndex(rows('open', 'decided'), 0)).toBe(0);
    expect(nextOpenIndex(rows(), -1)).toBe(-1);
  });

  it('says what it will do and when, while it can be undone', () => {
    expect(pendingMessage(kase(), 'fraud', 5)).toBe('card-42: fraud — its 3 open alerts get this verdict and their labels go to fraud.labels in 5 s.');
    expect(pendingMessage(kase({ openAlertCount: 1 }), 'legit', 5)).toBe('card-42: legit — its open alert gets this verdict and its label goes to fraud.labels in 5 s.');
    // What is left of the window, in whole seconds, never "in 0 s".
    expect(pendingMessage(kase(), 'fraud', 2.2)).toContain('in 3 s.');
    expect(pendingMessage(kase(), 'fraud', 0)).toContain('in 1 s.');
  });

  it('says why a waiting decision was not sent', () => {
    const decided = kase({ status: 'decided', decision: { label: 'legit', note: null, by: 'bob', at: '2026-12-04T10:00:00.000Z' } });
    expect(notSentMessage(decided, 'fraud')).toBe('card-42 was decided legit by bob meanwhile: your fraud was not sent.');
    expect(notSentMessage(kase({ status: 'decided', decision: null }), 'fraud')).toBe('card-42 was decided meanwhile: your fraud was not sent.');
  });

  it('says after what it did, with no undo offered', () => {
    expect(decidedMessage(kase(), 'fraud', 3)).toBe('card-42 decided fraud: its 3 open alerts are labelled and sent to fraud.labels. There is no undo; a later alert of the card opens a new case.');
    expect(decidedMessage(kase(), 'legit', 1)).toContain('its open alert is labelled');
  });
});

describe('the analyst', () => {
  it('takes a trimmed name of at most 64 characters', () => {
    expect(analystName('  alice ')).toEqual({ name: 'alice' });
    expect(analystName('   ')).toEqual({ error: 'Enter a name.' });
    expect(analystName('x'.repeat(65))).toEqual({ error: 'At most 64 characters (got 65).' });
  });

  it('says whose the case was', () => {
    expect(assignMessage({ cardId: 'card-7', assignee: null }, 'carol')).toBe('card-7 is yours now.');
    expect(assignMessage({ cardId: 'card-7', assignee: 'bob' }, 'carol')).toBe('card-7 is yours now (it was bob’s).');
    expect(assignMessage({ cardId: 'card-7', assignee: 'carol' }, 'carol')).toBe('card-7 is already yours.');
  });
});

describe('the next case', () => {
  it('is the first open case of the priority list but this one', () => {
    const cases = [kase({ caseId: 'this' }), kase({ caseId: 'done', status: 'decided' }), kase({ caseId: 'next' }), kase({ caseId: 'later' })];
    expect(nextOpenCase(cases, 'this')?.caseId).toBe('next');
    expect(nextOpenCase([kase({ caseId: 'this' })], 'this')).toBeNull();
  });
});

describe('the history', () => {
  const event = (action: string, detail: CaseEvent['detail'], actor = 'detector'): CaseEvent => ({ at: ago(HOUR), actor, action, detail });

  it('says each event in words', () => {
    expect(historyItem(event('opened', { alertId: 'c85a3d26-aaaa', score: 0.71 })).text).toBe('opened the case with alert c85a3d26 (score 0.710)');
    expect(historyItem(event('alert-added', { alertId: '56c3cdb8-bbbb', score: 0.88 })).text).toBe('added alert 56c3cdb8 (score 0.880)');
    expect(historyItem(event('assigned', { assignee: 'alice' }, 'bob')).text).toBe('assigned it to alice');
    expect(historyItem(event('assigned', { assignee: null }, 'bob')).text).toBe('unassigned it');
    const decided = historyItem(event('decided', { label: 'fraud', note: 'stolen', alerts: 3 }, 'alice'));
    expect(decided).toMatchObject({ actor: 'alice', text: 'decided fraud (3 alerts labelled)', note: 'stolen', when: formatInstant(ago(HOUR)) });
  });

  it('counts the alerts of a decision given as their ids', () => {
    expect(historyItem(event('decided', { label: 'legit', note: null, alerts: ['a'] })).text).toBe('decided legit (1 alert labelled)');
  });

  it('words a case opened for alerts stored before cases, and an action it does not know', () => {
    expect(historyItem(event('opened', { alerts: 4 }, 'migration')).text).toBe('opened the case with 4 alerts');
    expect(historyItem(event('alert-reviewed', { alertId: 'f0f0f0f0-1', label: 'fraud' }, 'alice')).text).toBe('alert reviewed alert f0f0f0f0 fraud');
  });

  it('says who decided and when', () => {
    expect(decisionText({ label: 'fraud', note: null, by: 'alice', at: ago(MIN) })).toBe(`Decided fraud by alice · ${formatInstant(ago(MIN))}`);
  });
});

describe('the reasons', () => {
  const reasons = [
    { feature: 'TX_AMOUNT', value: 1480, typical: 54.2, contribution: 0.27 },
    { feature: 'TX_DURING_NIGHT', value: 1, typical: 0.1, contribution: -0.02 },
    { feature: 'TERMINAL_ID_RISK_7DAY_WINDOW', value: 0.62, typical: 0.02, contribution: 0.41, text: 'Terminal with 62% frauds this week' },
    { feature: 'TX_DURING_WEEKEND', value: 0, typical: 0.3, contribution: 0 },
  ];

  it('shows only those that raised the score, in the detector’s order, each with its size', () => {
    const { shown, hidden } = positiveReasons(reasons, 0.82);
    expect(hidden).toBe(2);
    expect(shown.map((reason) => reason.contribution)).toEqual(['+0.270', '+0.410']);
    expect(shown[0]?.share).toBeCloseTo(0.27 / 0.82);
    expect(shown[0]?.values).toBe('1,480 vs 54.20');
  });

  it('prefers the detector’s words to the figures', () => {
    expect(positiveReasons(reasons, 0.82).shown[1]?.values).toBe('Terminal with 62% frauds this week');
  });

  it('caps the bar at the whole score', () => {
    expect(positiveReasons([{ feature: 'x', value: 1, typical: 0, contribution: 0.9 }], 0.5).shown[0]?.share).toBe(1);
    expect(positiveReasons([{ feature: 'x', value: 1, typical: 0, contribution: 0.9 }], 0).shown[0]?.share).toBe(0);
  });
});

describe('the card’s timeline', () => {
  const caseAlert = alert({ alertId: 'in-case', tx: { transactionId: 'tx-2', timestamp: ago(2 * HOUR), amount: 900 } });
  const payments = [
    payment({ transactionId: 'tx-3', timestamp: ago(HOUR), amount: 0, score: 0.1 }),
    payment({ transactionId: 'tx-2', timestamp: ago(2 * HOUR), amount: 900, score: 0.9, alertId: 'in-case', decision: 'review' }),
    payment({ transactionId: 'tx-old', timestamp: ago(9 * DAY), amount: 40, alertId: 'other-case' }),
    payment({ transactionId: 'tx-cb', timestamp: ago(4 * DAY), amount: 389.9, label: { fraud: true, source: 'chargeback' } }),
    payment({ transactionId: 'tx-none', timestamp: ago(5 * DAY), amount: null }),
  ];
  const detail = kase({ firstAlertAt: ago(2 * HOUR), lastAlertAt: ago(2 * HOUR) });

  it('puts every payment at its event time, oldest first, the alerted and the frauds again in series of their own', () => {
    const timeline = timelineOf(payments, [caseAlert], detail);
    expect(timeline.entries.map((entry) => entry.transactionId)).toEqual(['tx-old', 'tx-cb', 'tx-2', 'tx-3']);
    const [times, all, alerted, frauds] = timeline.columns;
    expect(times).toEqual(timeline.entries.map((entry) => entry.time));
    expect(all).toEqual([40, 389.9, 900, AMOUNT_FLOOR]);
    expect(alerted).toEqual([40, null, 900, null]);
    expect(frauds).toEqual([null, 389.9, null, null]);
    expect(timeline.entries.map((entry) => entry.inCase)).toEqual([false, false, true, false]);
  });

  it('leaves out, and counts, the payments without an amount', () => {
    const timeline = timelineOf(payments, [caseAlert], detail);
    expect(timeline.undrawn).toBe(1);
    expect(timelineSummary(timeline)).toContain('1 without an amount not drawn');
  });

  it('draws an alert of the case the payments store does not hold, from the alert', () => {
    const missing = alert({ alertId: 'missing', score: 0.95, tx: { transactionId: 'tx-gone', timestamp: ago(30 * MIN), amount: 1480 } });
    const timeline = timelineOf(payments, [caseAlert, missing], detail);
    const last = timeline.entries.at(-1);
    expect(last).toMatchObject({ transactionId: 'tx-gone', amount: 1480, alertId: 'missing', inCase: true, score: 0.95 });
    expect(timeline.columns[2].at(-1)).toBe(1480);
  });

  it('bands the case from its first alert to its last', () => {
    const timeline = timelineOf(payments, [caseAlert], kase({ firstAlertAt: ago(3 * HOUR), lastAlertAt: ago(HOUR) }));
    expect(timeline.band).toEqual({ from: (NOW.getTime() - 3 * HOUR) / 1000, to: (NOW.getTime() - HOUR) / 1000 });
    expect(timelineOf([], [], kase({ firstAlertAt: 'not a time' })).band).toBeNull();
  });

  it('holds an amount just below a decade edge, where log10 rounds up to the edge', () => {
    const [low, high] = amountRange([999999.999999999]);
    expect(high).toBeGreaterThanOrEqual(999999.999999999);
    expect(low).toBeLessThanOrEqual(999999.999999999);
  });

  it('keeps its columns aligned and its times in order, whatever the order of the payments', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 10 * DAY }), amount: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { freq: 8 }), fraud: fc.boolean(), alerted: fc.boolean() }), { maxLength: 40 }),
        (specs) => {
          const given = specs.map((spec, index) =>
            payment({ transactionId: `tx-${index}`, timestamp: ago(spec.at), amount: spec.amount, alertId: spec.alerted ? `a-${index}` : null, label: spec.fraud ? { fraud: true, source: 'analyst' } : null }),
          );
          const { columns, entries, range } = timelineOf(given, [], detail);
          for (const column of columns) expect(column).toHaveLength(entries.length);
          expect(entries).toHaveLength(given.filter((p) => p.amount !== null).length);
          expect([...columns[0]].sort((a, b) => a - b)).toEqual(columns[0]);
          for (const amount of columns[1]) {
            expect(amount).toBeGreaterThanOrEqual(range[0]);
            expect(amount).toBeLessThanOrEqual(range[1]);
          }
        },
      ),
    );
  });

  it('scales amounts by whole decades, one at least', () => {
    expect(amountRange([])).toEqual([1, 1000]);
    expect(amountRange([5.04, 1480])).toEqual([1, 10_000]);
    expect(amountRange([100])).toEqual([100, 1000]);
    expect(amountRange([AMOUNT_FLOOR, 12])).toEqual([0.01, 100]);
    expect(amountTicks(1, 10_000)).toEqual([1, 10, 100, 1000, 10_000]);
    expect([0.01, 1, 100, 1000, 25_000, 1e6].map(formatAxisAmount)).toEqual(['0.01', '1', '100', '1k', '25k', '1M']);
  });

  it('reads out the payment under the cursor, and the whole at rest', () => {
    const timeline = timelineOf(payments, [caseAlert], detail);
    expect(timelineReadout(timeline, 1)).toMatch(/· 389\.90 EUR · term-1 · score 0\.120 · fraud · chargeback$/);
    expect(timelineReadout(timeline, 2)).toContain('alerted (this case)');
    expect(timelineReadout(timeline, 0)).toContain('alerted (another case)');
    expect(timelineReadout(timeline, null)).toBe(timelineSummary(timeline));
    expect(timelineSummary(timeline)).toMatch(/^4 payments, .* · 2 alerted · 1 labelled fraud/);
    expect(timelineSummary(timelineOf([], [], detail))).toBe('No payments of this card in the payments store.');
  });
});

describe('the payments table', () => {
  it('lists the payments newest first, each as the table shows it', () => {
    const rows = paymentRows(
      [
        payment({ transactionId: 'old', timestamp: ago(5 * DAY) }),
        payment({
          transactionId: 'new',
          timestamp: ago(HOUR),
          amount: 1480,
          score: 0.97,
          decision: 'block',
          alertId: 'in-case',
          ruleHits: [{ ruleId: 'big-night', version: 3, name: 'Big at night', action: 'block' }],
          label: { fraud: true, source: 'analyst' },
        }),
      ],
      [alert({ alertId: 'in-case' })],
      kase({ firstAlertAt: ago(2 * HOUR), lastAlertAt: ago(HOUR) }),
      NOW,
    );
    expect(rows.map((row) => row.transactionId)).toEqual(['new', 'old']);
    expect(rows[0]).toMatchObject({
      amount: formatAmount(1480),
      score: { text: '0.970', level: 'score-high', width: 0.97 },
      decision: 'block',
      ruleIds: ['big-night'],
      rulesTitle: 'big-night v3 (Big at night): block',
      label: { text: 'fraud', fraud: true, source: 'analyst' },
      alert: { alertId: 'in-case', href: '#alert-in-case', inCase: true },
      inWindow: true,
    });
    expect(rows[1]).toMatchObject({ alert: null, label: null, inWindow: false, channel: 'ecommerce', merchantCategory: '5411' });
  });

  it('links an alert of another case to the card’s alerts, and shows what the store does not know as dashes', () => {
    const [row] = paymentRows([payment({ alertId: 'elsewhere', amount: null, currency: null, terminalId: null, channel: null, merchantCategory: null })], [], kase({ cardId: 'card 7' }), NOW);
    expect(row).toMatchObject({ alert: { href: 'alerts.html?cardId=card%207', inCase: false }, amount: '–', currency: '', terminalId: '–', channel: '–', merchantCategory: '–' });
  });
});

describe('the case page', () => {
  it('heads the case with its figures', () => {
    const header = caseHeader(kase({ openAlertCount: 2, firstAlertAt: '2026-12-02T23:49:00.000Z', lastAlertAt: '2026-12-03T22:29:00.000Z' }), NOW);
    expect(header).toMatchObject({ atRisk: `${formatAmount(1234.5)} EUR`, alerts: '2 open of 3', maxScore: { text: '0.970', level: 'score-high' }, age: { text: '12 min ago' } });
    expect(header.window).toBe(`${formatInstant('2026-12-02T23:49:00.000Z')} → ${formatInstant('2026-12-03T22:29:00.000Z')}`);
    expect(caseHeader(kase({ firstAlertAt: ago(HOUR), lastAlertAt: ago(HOUR) }), NOW).window).toBe(formatInstant(ago(HOUR)));
  });

  it('says what the decision buttons will do before they are pressed', () => {
    expect(decideHelp(kase())).toBe(
      'Gives the case’s 3 open alerts the verdict and sends their labels to fraud.labels, together. The buttons decide at once, for good; f / l wait 5 s, in which u undoes them. A later alert of the card opens a new case.',
    );
    expect(decideHelp(kase({ openAlertCount: 1 }))).toContain('the case’s open alert the verdict and sends its label');
  });

  it('shows an alert with its rules and the reasons that raised its score', () => {
    const summary = alertSummary(
      alert({
        score: 0.9,
        decision: 'block',
        ruleHits: [{ ruleId: 'big-night', version: 3, name: 'Big at night', action: 'block' }],
        reasons: [
          { feature: 'TX_AMOUNT', value: 900, typical: 54, contribution: 0.3 },
          { feature: 'TX_DURING_NIGHT', value: 1, typical: 0.1, contribution: -0.1 },
        ],
      }),
      NOW,
    );
    expect(summary).toMatchObject({
      anchor: 'alert-a0000000-0000-4000-8000-000000000001',
      amount: `${formatAmount(900)} EUR`,
      terminalId: 'term-9',
      score: { text: '0.900', level: 'score-high', title: 'threshold 0.5 · model gbdt-1' },
      decision: 'block',
      ruleHits: [{ ruleId: 'big-night', action: 'block', title: 'Big at night · v3: block' }],
    });
    expect(summary.reasons.shown).toHaveLength(1);
    expect(summary.reasons.hidden).toBe(1);
  });
});
