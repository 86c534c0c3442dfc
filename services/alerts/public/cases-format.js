// @ts-check
/**
 * The Cases pages' pure helpers: the queue's rows and query, ages, the priority bar, the keyboard
 * map, the card's timeline from its payments and alerts, the reasons worth showing, and the text of
 * the history and of what a decision did. No DOM here, so test/public/cases-format.test.ts runs them
 * in Node.
 */

import { describeTime, formatAmount, formatCount, formatFeature, formatValue, scoreClass } from './format.js';

/** @import { Case, CaseAlert, CaseEvent, CasePayment, CaseSort, CaseStats, CaseStatus, FeedbackLabel, Reason } from './types.js' */

/** @typedef {ReturnType<typeof describeTime>} TimeText a time as the tables show it */

export const PAGE_SIZE = 50;
/** A refresh reads again as many cases as are shown, up to this many. */
export const MAX_REFRESH = 200;
export const REFRESH_MS = 15_000;
/** How long a decision made with f / l waits to be sent: the time to undo it. */
export const UNDO_MS = 5_000;
/** How soon the queue or a case page reads again after the case stream said something changed. */
export const LIVE_REFRESH_MS = 500;
export const ANALYST_KEY = 'fraudstream.cases.analyst';
/** Where the case page's "back to the queue" returns to (the queue's filters), in sessionStorage. */
export const QUEUE_SEARCH_KEY = 'fraudstream.cases.queueSearch';
/** The case the queue had selected, to select it again on return, in sessionStorage. */
export const SELECTED_KEY = 'fraudstream.cases.selected';
export const ANALYST_MAX = 64;
export const NOTE_MAX = 2000;

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The highest priority the contract's formula can give: a score of 1, a block, 1,000 or more at risk. */
export const PRIORITY_MAX = 2.5;

/**
 * @typedef {object} QueueFilters
 * @property {CaseStatus} status
 * @property {CaseSort} sort
 * @property {string | null} assignee null: anyone; '': unassigned; else that analyst's cases
 */

/** @type {QueueFilters} */
export const DEFAULT_FILTERS = { status: 'open', sort: 'priority', assignee: null };

/**
 * The queue's filters from a page's query string (the API's own parameter names), defaults for
 * what is missing or not known.
 * @param {string} search
 * @returns {QueueFilters}
 */
export function filtersFrom(search) {
  const params = new URLSearchParams(search);
  const assignee = params.get('assignee');
  return {
    status: params.get('status') === 'decided' ? 'decided' : 'open',
    sort: params.get('sort') === 'age' ? 'age' : 'priority',
    assignee: assignee === null ? null : assignee.trim(),
  };
}

/**
 * GET /cases' query for the filters. `assignee=` with nothing after it asks for the unassigned ones,
 * so it is sent even when empty (format.js' queryString drops empty values).
 * @param {QueueFilters} filters
 * @param {{ limit?: number, cursor?: string | null }} [page]
 */
export function casesQuery(filters, { limit, cursor } = {}) {
  const params = new URLSearchParams({ status: filters.status, sort: filters.sort });
  if (filters.assignee !== null) params.set('assignee', filters.assignee);
  if (limit !== undefined) params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

/** The page's own query string: the filters that are not the defaults. @param {QueueFilters} filters */
export function pageSearch(filters) {
  const params = new URLSearchParams();
  if (filters.status !== DEFAULT_FILTERS.status) params.set('status', filters.status);
  if (filters.sort !== DEFAULT_FILTERS.sort) params.set('sort', filters.sort);
  if (filters.assignee !== null) params.set('assignee', filters.assignee);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * Whether the queue's filters still take in `kase` (after it was decided or assigned here).
 * @param {Pick<Case, 'status' | 'assignee'>} kase
 * @param {QueueFilters} filters
 */
export function inQueue(kase, filters) {
  if (kase.status !== filters.status) return false;
  if (filters.assignee === null) return true;
  return filters.assignee === '' ? kase.assignee === null : kase.assignee === filters.assignee;
}

/** How many cases a refresh reads: those shown, in whole pages, within MAX_REFRESH. @param {number} shown */
export const refreshLimit = (shown) => Math.min(MAX_REFRESH, Math.max(PAGE_SIZE, Math.ceil(shown / PAGE_SIZE) * PAGE_SIZE));

/** @param {QueueFilters} filters */
function assigneeWords(filters) {
  if (filters.assignee === null) return '';
  return filters.assignee === '' ? ' unassigned' : ` assigned to ${filters.assignee}`;
}

/**
 * What the queue shows: "12 open cases, by priority", with "or more" when there are more to load.
 * @param {QueueFilters} filters
 * @param {number} count
 * @param {boolean} more
 */
export function queueSummary(filters, count, more) {
  const order = filters.sort === 'priority' ? 'highest priority first' : 'oldest first';
  return `${formatCount(count)}${more ? '+' : ''} ${filters.status} case${count === 1 && !more ? '' : 's'}${assigneeWords(filters)} · ${order}`;
}

/** The empty queue's text. @param {QueueFilters} filters */
export function emptyText(filters) {
  if (filters.status === 'decided') return `No decided cases${assigneeWords(filters)}.`;
  const who = assigneeWords(filters);
  return who ? `No open cases${who}.` : 'No open cases: the desk is clear. A new alert opens a case here (or joins its card’s open one).';
}

/**
 * A duration as an age: "<1 min", "12 min", "3 h", "2 d" (a clock behind the server's counts as now).
 * @param {number} ms
 */
export function formatAge(ms) {
  if (ms < MINUTE_MS) return '<1 min';
  if (ms < HOUR_MS) return `${Math.floor(ms / MINUTE_MS)} min`;
  if (ms < 2 * DAY_MS) return `${Math.floor(ms / HOUR_MS)} h`;
  return `${Math.floor(ms / DAY_MS)} d`;
}

/** The age of what happened at `iso`. @param {string} iso @param {Date} now */
export const ageOf = (iso, now) => formatAge(now.getTime() - Date.parse(iso));

/**
 * The priority bar: its width as a share of the highest priority there can be, and its colour.
 * @param {number} priority
 * @returns {{ width: number, level: 'high' | 'mid' | 'low' }}
 */
export function priorityBar(priority) {
  const width = Math.min(1, Math.max(0, priority / PRIORITY_MAX));
  return { width, level: priority >= 1.5 ? 'high' : priority >= 0.9 ? 'mid' : 'low' };
}

/**
 * What a case's priority is made of, by the contract's formula, for its tooltip.
 * @param {Pick<Case, 'priority' | 'maxScore' | 'decisions' | 'amountAtRisk'>} kase
 */
export function priorityTitle(kase) {
  const block = kase.decisions.block > 0 ? 1 : 0;
  const amount = Math.min(1, kase.amountAtRisk / 1000) * 0.5;
  return `priority ${kase.priority.toFixed(2)} = max score ${kase.maxScore.toFixed(2)} + ${block} (${block ? 'a block' : 'no block'}) + ${amount.toFixed(2)} (amount at risk)`;
}

/**
 * @typedef {object} CaseRow one case as the queue shows it
 * @property {string} caseId
 * @property {string} href its page
 * @property {string} cardId
 * @property {CaseStatus} status
 * @property {FeedbackLabel | null} label the decision's, when decided
 * @property {{ text: string, title: string, width: number, level: 'high' | 'mid' | 'low' }} priority
 * @property {{ text: string, title: string }} age
 * @property {{ text: string, title: string }} alerts open/total
 * @property {{ text: string, width: number, level: ReturnType<typeof scoreClass> }} maxScore
 * @property {{ amount: string, currency: string }} atRisk
 * @property {{ kind: 'block' | 'review', count: number }[]} decisions the kinds with alerts, block first
 * @property {string | null} assignee
 * @property {TimeText} lastAlert
 * @property {string} summary the row in words, for a screen reader
 */

/** A case's page. @param {string} caseId */
export const caseHref = (caseId) => `case.html?caseId=${encodeURIComponent(caseId)}`;

/**
 * @param {Case} kase
 * @param {Date} now
 * @returns {CaseRow}
 */
export function caseRow(kase, now) {
  const bar = priorityBar(kase.priority);
  const age = ageOf(kase.openedAt, now);
  const amount = formatAmount(kase.amountAtRisk);
  const decisions = /** @type {const} */ (['block', 'review']).filter((kind) => kase.decisions[kind] > 0).map((kind) => ({ kind, count: kase.decisions[kind] }));
  const label = kase.decision?.label ?? null;
  return {
    caseId: kase.caseId,
    href: caseHref(kase.caseId),
    cardId: kase.cardId,
    status: kase.status,
    label,
    priority: { text: kase.priority.toFixed(2), title: priorityTitle(kase), ...bar },
    age: { text: age, title: `opened ${new Date(kase.openedAt).toLocaleString()}` },
    alerts: { text: `${kase.openAlertCount}/${kase.alertCount}`, title: `${kase.openAlertCount} open of ${kase.alertCount} alert${kase.alertCount === 1 ? '' : 's'}` },
    maxScore: { text: kase.maxScore.toFixed(3), width: Math.min(1, Math.max(0, kase.maxScore)), level: scoreClass(kase.maxScore) },
    atRisk: { amount, currency: kase.currency ?? '' },
    decisions,
    assignee: kase.assignee,
    lastAlert: describeTime(kase.lastAlertAt, now),
    summary: [
      `${kase.cardId}`,
      label ? `decided ${label}` : `priority ${kase.priority.toFixed(2)}`,
      `open ${age}`,
      `${kase.openAlertCount} of ${kase.alertCount} alerts open`,
      `max score ${kase.maxScore.toFixed(2)}`,
      `${amount} ${kase.currency ?? ''} at risk`,
      ...decisions.map((decision) => `${decision.count} ${decision.kind}`),
      kase.assignee ? `assigned to ${kase.assignee}` : 'unassigned',
    ].join(', '),
  };
}

/**
 * The queue's totals from GET /stats' `cases` (absent from a service without cases).
 * @param {CaseStats | undefined} stats
 * @param {Date} now
 */
export function caseTotals(stats, now) {
  if (!stats) return { open: '–', unassigned: '–', decidedLastDay: '–', oldest: '–' };
  return {
    open: formatCount(stats.open),
    unassigned: formatCount(stats.unassigned),
    decidedLastDay: formatCount(stats.decidedLastDay),
    oldest: stats.oldestOpenAt === null ? '–' : ageOf(stats.oldestOpenAt, now),
  };
}

/** @typedef {'next' | 'previous' | 'open' | 'fraud' | 'legit' | 'assign' | 'help' | 'undo'} Shortcut */

const undoSeconds = UNDO_MS / 1000;

/**
 * The keys and what they do, in the order the help lists them; `pages` says where each works.
 * @type {readonly { keys: readonly string[], shortcut: Shortcut, text: string, pages: readonly ('queue' | 'case')[] }[]}
 */
export const SHORTCUTS = [
  { keys: ['j', 'ArrowDown'], shortcut: 'next', text: 'next case', pages: ['queue'] },
  { keys: ['k', 'ArrowUp'], shortcut: 'previous', text: 'previous case', pages: ['queue'] },
  { keys: ['Enter'], shortcut: 'open', text: 'open the case', pages: ['queue'] },
  { keys: ['f'], shortcut: 'fraud', text: `decide fraud (u or Esc undoes it within ${undoSeconds} s; f again sends it now)`, pages: ['queue', 'case'] },
  { keys: ['l'], shortcut: 'legit', text: `decide legit (u or Esc undoes it within ${undoSeconds} s; l again sends it now)`, pages: ['queue', 'case'] },
  { keys: ['u', 'Escape'], shortcut: 'undo', text: 'undo the decision waiting to be sent', pages: ['queue', 'case'] },
  { keys: ['a'], shortcut: 'assign', text: 'assign to me', pages: ['queue', 'case'] },
  { keys: ['?'], shortcut: 'help', text: 'show these shortcuts', pages: ['queue', 'case'] },
];

/** A key as the help shows it. @param {string} key */
export const keyName = (key) => ({ ArrowDown: '↓', ArrowUp: '↑', Escape: 'Esc' })[key] ?? key;

/**
 * The shortcut a key press asks for on a page; null for none, for a press with Ctrl, Alt or ⌘ (the
 * browser's), or one typed into a field (`editable`).
 * @param {{ key: string, ctrlKey?: boolean, altKey?: boolean, metaKey?: boolean, editable?: boolean }} press
 * @param {'queue' | 'case'} page
 * @returns {Shortcut | null}
 */
export function shortcutOf(press, page) {
  if (press.ctrlKey || press.altKey || press.metaKey) return null;
  if (press.editable && press.key !== 'Escape') return null;
  return SHORTCUTS.find((entry) => entry.pages.includes(page) && entry.keys.includes(press.key))?.shortcut ?? null;
}

/**
 * The selected row after moving by `delta`: stays within the rows; the first when none was selected.
 * @param {number} index -1 for none
 * @param {number} count
 * @param {number} delta
 */
export function moveSelection(index, count, delta) {
  if (count === 0) return -1;
  if (index < 0) return 0;
  return Math.min(count - 1, Math.max(0, index + delta));
}

/**
 * The row to select after the rows changed: the same case when it is still there, else the one now
 * where it was (the next case, when it left the queue), else none.
 * @param {string[]} caseIds the new rows' cases, in order
 * @param {string | null} selected
 * @param {number} previousIndex
 */
export function reselect(caseIds, selected, previousIndex) {
  const same = selected === null ? -1 : caseIds.indexOf(selected);
  if (same >= 0) return same;
  if (caseIds.length === 0) return -1;
  return Math.min(Math.max(previousIndex, 0), caseIds.length - 1);
}

/**
 * Where the selection goes after f / l: the next open case below `index`; `index` itself when there is none.
 * @param {Pick<Case, 'status'>[]} cases
 * @param {number} index
 */
export function nextOpenIndex(cases, index) {
  const next = cases.findIndex((kase, at) => at > index && kase.status === 'open');
  return next >= 0 ? next : index;
}

/**
 * What f / l says while the decision waits to be sent: what it will do, honestly, and when. The toast
 * that shows it carries the Undo button.
 * @param {Pick<Case, 'cardId' | 'openAlertCount'>} kase
 * @param {FeedbackLabel} label
 * @param {number} seconds until it is sent
 */
export function pendingMessage(kase, label, seconds) {
  const alerts = kase.openAlertCount === 1 ? 'its open alert gets' : `its ${kase.openAlertCount} open alerts get`;
  const labels = kase.openAlertCount === 1 ? 'its label goes' : 'their labels go';
  return `${kase.cardId}: ${label} — ${alerts} this verdict and ${labels} to fraud.labels in ${Math.max(1, Math.ceil(seconds))} s.`;
}

/**
 * Why a waiting decision was dropped: someone else decided the case first.
 * @param {Pick<Case, 'cardId' | 'decision'>} kase as the server has it now
 * @param {FeedbackLabel} mine
 */
export function notSentMessage(kase, mine) {
  const theirs = kase.decision ? ` ${kase.decision.label} by ${kase.decision.by}` : '';
  return `${kase.cardId} was decided${theirs} meanwhile: your ${mine} was not sent.`;
}

/**
 * What a recorded decision did.
 * @param {Pick<Case, 'cardId'>} kase
 * @param {FeedbackLabel} label
 * @param {number} alerts how many alerts were open, so got the verdict
 */
export function decidedMessage(kase, label, alerts) {
  const labelled = alerts === 1 ? 'its open alert is labelled' : `its ${alerts} open alerts are labelled`;
  return `${kase.cardId} decided ${label}: ${labelled} and sent to fraud.labels. There is no undo; a later alert of the card opens a new case.`;
}

/** Why a decision was refused with 409: someone decided the case first, or an alert joined it meanwhile. @param {string} message the server's */
export const alreadyDecidedMessage = (message) => `Not decided: ${message}.`;

/**
 * An analyst's name as typed: trimmed, or why it will not do.
 * @param {string} typed
 * @returns {{ name: string } | { error: string }}
 */
export function analystName(typed) {
  const name = typed.trim();
  if (!name) return { error: 'Enter a name.' };
  if (name.length > ANALYST_MAX) return { error: `At most ${ANALYST_MAX} characters (got ${name.length}).` };
  return { name };
}

/**
 * What assigning to me did, or would not do.
 * @param {Pick<Case, 'cardId' | 'assignee'>} before
 * @param {string} me
 */
export function assignMessage(before, me) {
  if (before.assignee === me) return `${before.cardId} is already yours.`;
  return before.assignee ? `${before.cardId} is yours now (it was ${before.assignee}’s).` : `${before.cardId} is yours now.`;
}

/**
 * The next case to work on after `caseId`: the first open one of a priority-ordered list but it.
 * @param {Case[]} cases
 * @param {string} caseId
 * @returns {Case | null}
 */
export const nextOpenCase = (cases, caseId) => cases.find((kase) => kase.status === 'open' && kase.caseId !== caseId) ?? null;

/**
 * A decided case's verdict in words.
 * @param {NonNullable<Case['decision']>} decision
 */
export function decisionText(decision) {
  return `Decided ${decision.label} by ${decision.by} · ${formatInstant(decision.at)}`;
}

/** @param {string} id an alert id: its first 8 characters say enough in a list */
export const shortId = (id) => id.slice(0, 8);

/**
 * A history event in words: who did it and what.
 * @param {CaseEvent} event
 * @returns {{ at: string, when: string, actor: string, text: string, note: string | null }}
 */
export function historyItem(event) {
  const { detail } = event;
  const score = typeof detail.score === 'number' ? ` (score ${detail.score.toFixed(3)})` : '';
  const alert = detail.alertId ? `alert ${shortId(detail.alertId)}${score}` : `an alert${score}`;
  /** @type {string} */
  let text;
  switch (event.action) {
    case 'opened':
      // Cases made for the alerts stored before cases existed name how many they took in, not one alert.
      text = typeof detail.alerts === 'number' && !detail.alertId ? `opened the case with ${detail.alerts} alert${detail.alerts === 1 ? '' : 's'}` : `opened the case with ${alert}`;
      break;
    case 'alert-added':
      text = `added ${alert}`;
      break;
    case 'assigned':
      text = detail.assignee ? `assigned it to ${detail.assignee}` : 'unassigned it';
      break;
    case 'decided': {
      const count = Array.isArray(detail.alerts) ? detail.alerts.length : detail.alerts;
      text = `decided ${detail.label ?? '?'}${typeof count === 'number' ? ` (${count} alert${count === 1 ? '' : 's'} labelled)` : ''}`;
      break;
    }
    default:
      text = [event.action.replaceAll('-', ' '), ...(detail.alertId ? [alert] : []), ...(detail.label ? [detail.label] : [])].join(' ');
  }
  return { at: event.at, when: formatInstant(event.at), actor: event.actor, text, note: event.action === 'decided' ? (detail.note ?? null) : null };
}

/**
 * @typedef {object} ReasonBar a reason that raised the score, with its size
 * @property {string} feature
 * @property {string} values its words when the detector sent them, else "12 vs 3" (its value against the typical one)
 * @property {string} contribution "+0.412"
 * @property {number} share of the alert's score (0..1): the bar's width
 * @property {string} title
 */

/**
 * The reasons worth showing: those whose feature raised the score (contribution > 0), in the
 * detector's order, each with its size.
 * @param {(Reason & { text?: string })[]} reasons `text`: the reason in words, in alerts since the feature catalogue
 * @param {number} score the alert's
 * @returns {{ shown: ReasonBar[], hidden: number }}
 */
export function positiveReasons(reasons, score) {
  const shown = reasons
    .filter((reason) => reason.contribution > 0)
    .map((reason) => {
      return {
        feature: formatFeature(reason.feature),
        values: reason.text ?? `${formatValue(reason.value)} vs ${formatValue(reason.typical)}`,
        contribution: `+${reason.contribution.toFixed(3)}`,
        share: score > 0 ? Math.min(1, reason.contribution / score) : 0,
        title: `Without ${reason.feature} (set to its typical value) the score would be ${reason.contribution.toFixed(3)} lower`,
      };
    });
  return { shown, hidden: reasons.length - shown.length };
}

/**
 * @typedef {object} TimelineEntry one payment on the card's timeline
 * @property {number} time Unix seconds (event time)
 * @property {string} transactionId
 * @property {number} amount
 * @property {string} currency
 * @property {string} terminalId
 * @property {number} score
 * @property {string | null} alertId
 * @property {boolean} inCase whether its alert is one of the case's
 * @property {CasePayment['label']} label
 */

/**
 * @typedef {object} Timeline
 * @property {TimelineEntry[]} entries oldest first
 * @property {[number[], (number | null)[], (number | null)[], (number | null)[]]} columns uPlot's: times, every payment's amount, the alerted ones', the frauds'
 * @property {{ from: number, to: number } | null} band the case's first to last alert, Unix seconds
 * @property {[number, number]} range the amount axis, whole decades
 * @property {number} undrawn payments without an amount, which have no place on it
 */

/** The least amount the log axis shows: a 0 payment is drawn on it. */
export const AMOUNT_FLOOR = 0.01;

/**
 * The card's timeline: every payment a point at its event time and amount; the alerted ones, and the
 * ones labelled fraud, again in series of their own (drawn over). An alert of the case whose payment
 * the store does not hold (older than its window, or past its 500) is drawn from the alert.
 * @param {CasePayment[]} payments
 * @param {CaseAlert[]} alerts
 * @param {Pick<Case, 'firstAlertAt' | 'lastAlertAt'>} kase
 * @returns {Timeline}
 */
export function timelineOf(payments, alerts, kase) {
  const caseAlerts = new Set(alerts.map((alert) => alert.alertId));
  const held = new Set(payments.map((payment) => payment.transactionId));
  /** @type {TimelineEntry[]} */
  const entries = [];
  for (const payment of payments) {
    if (payment.amount === null) continue;
    entries.push({
      time: Date.parse(payment.timestamp) / 1000,
      transactionId: payment.transactionId,
      amount: payment.amount,
      currency: payment.currency ?? '',
      terminalId: payment.terminalId ?? '–',
      score: payment.score,
      alertId: payment.alertId,
      inCase: payment.alertId !== null && caseAlerts.has(payment.alertId),
      label: payment.label,
    });
  }
  for (const alert of alerts) {
    if (held.has(alert.transaction.transactionId)) continue;
    entries.push({
      time: Date.parse(alert.transaction.timestamp) / 1000,
      transactionId: alert.transaction.transactionId,
      amount: alert.transaction.amount,
      currency: alert.transaction.currency,
      terminalId: alert.transaction.terminalId,
      score: alert.score,
      alertId: alert.alertId,
      inCase: true,
      label: alert.feedback ? { fraud: alert.feedback.label === 'fraud', source: 'analyst' } : null,
    });
  }
  entries.sort((a, b) => a.time - b.time);
  const plotted = entries.map((entry) => Math.max(AMOUNT_FLOOR, entry.amount));
  const from = Date.parse(kase.firstAlertAt) / 1000;
  const to = Date.parse(kase.lastAlertAt) / 1000;
  return {
    entries,
    columns: [
      entries.map((entry) => entry.time),
      plotted,
      entries.map((entry, index) => (entry.alertId !== null ? (plotted[index] ?? null) : null)),
      entries.map((entry, index) => (entry.label?.fraud ? (plotted[index] ?? null) : null)),
    ],
    band: Number.isFinite(from) && Number.isFinite(to) ? { from: Math.min(from, to), to: Math.max(from, to) } : null,
    range: amountRange(plotted),
    undrawn: payments.filter((payment) => payment.amount === null).length,
  };
}

/**
 * The amount axis: the whole decades around the amounts, one decade at least.
 * @param {number[]} amounts all > 0
 * @returns {[number, number]}
 */
export function amountRange(amounts) {
  if (amounts.length === 0) return [1, 1000];
  const min = Math.min(...amounts);
  const max = Math.max(...amounts);
  // log10 rounds: log10(999999.999999999) is exactly 6, and a decade edge must still hold the amount.
  let low = Math.floor(Math.log10(min));
  if (10 ** low > min) low -= 1;
  let high = Math.ceil(Math.log10(max));
  if (10 ** high < max) high += 1;
  return [10 ** low, 10 ** Math.max(high, low + 1)];
}

/** The decades from `min` to `max`. @param {number} min @param {number} max */
export function amountTicks(min, max) {
  const ticks = [];
  for (let exponent = Math.round(Math.log10(min)); exponent <= Math.round(Math.log10(max)); exponent += 1) ticks.push(10 ** exponent);
  return ticks;
}

/** An amount on the axis: `0.01`, `1`, `100`, `10k`, `1M`. @param {number} amount */
export function formatAxisAmount(amount) {
  if (amount >= 1e6) return `${Number((amount / 1e6).toPrecision(3))}M`;
  if (amount >= 1e3) return `${Number((amount / 1e3).toPrecision(3))}k`;
  return String(Number(amount.toPrecision(3)));
}

/** A payment's time in full, as the readouts show it. @param {number} time Unix seconds */
const fullTime = (time) => new Date(time * 1000).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });

/**
 * A label in words: "fraud · chargeback".
 * @param {CasePayment['label']} label
 */
export const labelText = (label) => (label ? `${label.fraud ? 'fraud' : 'legit'} · ${label.source}` : '');

/**
 * The readout of the payment under the cursor, or the timeline's summary when there is none.
 * @param {Timeline} timeline
 * @param {number | null} index
 */
export function timelineReadout(timeline, index) {
  const entry = index === null ? undefined : timeline.entries[index];
  if (!entry) return timelineSummary(timeline);
  return [
    fullTime(entry.time),
    `${formatAmount(entry.amount)} ${entry.currency}`,
    entry.terminalId,
    `score ${entry.score.toFixed(3)}`,
    ...(entry.alertId ? [entry.inCase ? 'alerted (this case)' : 'alerted (another case)'] : []),
    ...(entry.label ? [labelText(entry.label)] : []),
  ].join(' · ');
}

/** The timeline in words: for the chart's label and its readout at rest. @param {Timeline} timeline */
export function timelineSummary(timeline) {
  const { entries } = timeline;
  const first = entries[0];
  const last = entries.at(-1);
  if (!first || !last) return 'No payments of this card in the payments store.';
  const alerted = entries.filter((entry) => entry.alertId !== null).length;
  const frauds = entries.filter((entry) => entry.label?.fraud).length;
  const undrawn = timeline.undrawn > 0 ? ` · ${formatCount(timeline.undrawn)} without an amount not drawn` : '';
  return `${formatCount(entries.length)} payment${entries.length === 1 ? '' : 's'}, ${fullTime(first.time)} to ${fullTime(last.time)} · ${formatCount(alerted)} alerted · ${formatCount(frauds)} labelled fraud${undrawn}`;
}

/**
 * @typedef {object} PaymentRow one payment of the card as the case page's table shows it
 * @property {string} transactionId
 * @property {TimeText} time
 * @property {string} amount
 * @property {string} currency
 * @property {string} terminalId
 * @property {string} channel
 * @property {string} merchantCategory
 * @property {{ text: string, width: number, level: ReturnType<typeof scoreClass> }} score
 * @property {'review' | 'block' | null} decision
 * @property {string[]} ruleIds
 * @property {string} rulesTitle
 * @property {{ text: string, fraud: boolean, source: string } | null} label
 * @property {{ alertId: string, href: string, inCase: boolean } | null} alert where its alert is: this page's alert list, or the alerts page for the card
 * @property {boolean} inWindow whether it falls between the case's first and last alert
 */

/**
 * The card's payments, newest first.
 * @param {CasePayment[]} payments
 * @param {CaseAlert[]} alerts
 * @param {Pick<Case, 'cardId' | 'firstAlertAt' | 'lastAlertAt'>} kase
 * @param {Date} now
 * @returns {PaymentRow[]}
 */
export function paymentRows(payments, alerts, kase, now) {
  const caseAlerts = new Set(alerts.map((alert) => alert.alertId));
  const from = Date.parse(kase.firstAlertAt);
  const to = Date.parse(kase.lastAlertAt);
  return [...payments]
    .sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp))
    .map((payment) => {
      const at = Date.parse(payment.timestamp);
      const inCase = payment.alertId !== null && caseAlerts.has(payment.alertId);
      return {
        transactionId: payment.transactionId,
        time: describeTime(payment.timestamp, now),
        amount: payment.amount === null ? '–' : formatAmount(payment.amount),
        currency: payment.currency ?? '',
        terminalId: payment.terminalId ?? '–',
        channel: payment.channel ?? '–',
        merchantCategory: payment.merchantCategory ?? '–',
        score: { text: payment.score.toFixed(3), width: Math.min(1, Math.max(0, payment.score)), level: scoreClass(payment.score) },
        decision: payment.decision,
        ruleIds: payment.ruleHits.map((hit) => hit.ruleId),
        rulesTitle: payment.ruleHits.map((hit) => `${hit.ruleId} v${hit.version} (${hit.name}): ${hit.action}`).join('\n'),
        label: payment.label ? { text: payment.label.fraud ? 'fraud' : 'legit', fraud: payment.label.fraud, source: payment.label.source } : null,
        alert: payment.alertId === null ? null : { alertId: payment.alertId, href: inCase ? `#alert-${payment.alertId}` : `alerts.html?cardId=${encodeURIComponent(kase.cardId)}`, inCase },
        inWindow: at >= from && at <= to,
      };
    });
}

/** An instant as the case page shows it: "Dec 4, 10:02". @param {string} iso */
export const formatInstant = (iso) => fullTime(Date.parse(iso) / 1000);

/**
 * The case page's header figures.
 * @param {Case} kase
 * @param {Date} now
 */
export function caseHeader(kase, now) {
  const first = formatInstant(kase.firstAlertAt);
  const last = formatInstant(kase.lastAlertAt);
  return {
    atRisk: `${formatAmount(kase.amountAtRisk)} ${kase.currency ?? ''}`.trim(),
    alerts: `${kase.openAlertCount} open of ${kase.alertCount}`,
    maxScore: { text: kase.maxScore.toFixed(3), level: scoreClass(kase.maxScore) },
    age: { text: `${ageOf(kase.openedAt, now)} ago`, title: `opened ${new Date(kase.openedAt).toLocaleString()}` },
    window: first === last ? first : `${first} → ${last}`,
    priority: { text: kase.priority.toFixed(2), title: priorityTitle(kase), ...priorityBar(kase.priority) },
  };
}

/** What the decision buttons will do, said before they are pressed. @param {Pick<Case, 'openAlertCount'>} kase */
export function decideHelp(kase) {
  const alerts = kase.openAlertCount === 1 ? 'the case’s open alert' : `the case’s ${kase.openAlertCount} open alerts`;
  return `Gives ${alerts} the verdict and sends ${kase.openAlertCount === 1 ? 'its label' : 'their labels'} to fraud.labels, together. The buttons decide at once, for good; f / l wait ${undoSeconds} s, in which u undoes them. A later alert of the card opens a new case.`;
}

/**
 * An alert of the case as its card on the case page shows it.
 * @param {CaseAlert} alert
 * @param {Date} now
 */
export function alertSummary(alert, now) {
  const tx = alert.transaction;
  return {
    alertId: alert.alertId,
    anchor: `alert-${alert.alertId}`,
    time: describeTime(tx.timestamp, now),
    amount: `${formatAmount(tx.amount)} ${tx.currency}`,
    terminalId: tx.terminalId,
    score: { text: alert.score.toFixed(3), level: scoreClass(alert.score), title: `threshold ${alert.threshold} · model ${alert.modelVersion}` },
    decision: alert.decision,
    status: alert.status,
    ruleHits: alert.ruleHits.map((hit) => ({ ruleId: hit.ruleId, action: hit.action, title: `${hit.name} · v${hit.version}: ${hit.action}` })),
    reasons: positiveReasons(alert.reasons, alert.score),
  };
}
