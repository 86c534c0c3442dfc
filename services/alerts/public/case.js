// @ts-check
/**
 * A case's page (case.html?caseId=…): the card, its priority, assignee and amount at risk; the card's
 * timeline and payments (GET /cases/{id}); the case's alerts with the reasons that raised their score;
 * the decision (POST /cases/{id}/decision: Fraud / Legit with a note at once, f / l from the keyboard
 * after their undo window) and then the next open case; the history (GET /cases/{id}/history), read
 * again soon after the case's stream (GET /cases/stream?caseId=…) says it changed, and every 15 s while
 * the tab is visible in any case; the whole case again when it changed.
 */

import { HttpError } from './api.js';
import { createTimelineChart } from './cases-charts.js';
import {
  LIVE_REFRESH_MS,
  QUEUE_SEARCH_KEY,
  REFRESH_MS,
  UNDO_MS,
  alertSummary,
  alreadyDecidedMessage,
  analystName,
  assignMessage,
  caseHeader,
  caseHref,
  casesQuery,
  decideHelp,
  decidedMessage,
  decisionText,
  filtersFrom,
  historyItem,
  nextOpenCase,
  notSentMessage,
  paymentRows,
  timelineOf,
} from './cases-format.js';
import { analystNameDialog, bindShortcuts, me } from './dialogs.js';
import { createKeyDecisions } from './key-decisions.js';
import { bar, createPageApi, createToast, el, element, messageOf } from './page.js';
import { connectionIndicator, openEventStream } from './stream.js';

/** @import { PaymentRow, TimeText } from './cases-format.js' */
/** @import { SendOptions } from './pending-decision.js' */
/** @import { Case, CaseDetail, CaseEvent, CaseStreamEvent, FeedbackLabel } from './types.js' */

const page = {
  empty: element('case-empty', HTMLElement),
  content: element('case-content', HTMLElement),
  backLink: element('back-link', HTMLAnchorElement),
  backToQueue: element('back-to-queue', HTMLAnchorElement),
  card: element('case-card', HTMLElement),
  status: element('case-status', HTMLElement),
  priority: element('case-priority', HTMLElement),
  atRisk: element('case-at-risk', HTMLElement),
  alerts: element('case-alerts', HTMLElement),
  maxScore: element('case-max-score', HTMLElement),
  decisions: element('case-decisions', HTMLElement),
  age: element('case-age', HTMLElement),
  window: element('case-window', HTMLElement),
  assignee: element('case-assignee', HTMLElement),
  assignForm: element('assign-form', HTMLFormElement),
  assignMe: element('assign-me', HTMLButtonElement),
  unassign: element('unassign', HTMLButtonElement),
  assignName: element('assign-name', HTMLInputElement),
  assignTo: element('assign-to', HTMLButtonElement),
  decideForm: element('decide-form', HTMLFormElement),
  note: element('decide-note', HTMLTextAreaElement),
  decideHelp: element('decide-help', HTMLElement),
  decideFraud: element('decide-fraud', HTMLButtonElement),
  decideLegit: element('decide-legit', HTMLButtonElement),
  decided: element('decided', HTMLElement),
  decidedText: element('decided-text', HTMLElement),
  decidedNote: element('decided-note', HTMLElement),
  nextCase: element('next-case', HTMLAnchorElement),
  timelineReadout: element('timeline-readout', HTMLElement),
  alertList: element('alert-list', HTMLElement),
  historyList: element('history-list', HTMLOListElement),
  historyEmpty: element('history-empty', HTMLElement),
  paymentRows: element('payment-rows', HTMLTableSectionElement),
  paymentsEmpty: element('payments-empty', HTMLElement),
  paymentsNote: element('payments-note', HTMLElement),
  toast: element('toast', HTMLElement),
  liveState: element('live-state', HTMLElement),
};

// Long enough to read what a decision did, and to stay up while it can be undone.
const toast = createToast(page.toast, UNDO_MS + 2000);

// A cancelled read token dialog stops the history being read again by itself.
const { api, readDeclined } = createPageApi();
const myName = analystNameDialog();
const keyDecisions = createKeyDecisions({
  api,
  box: page.toast,
  toast,
  send: ({ label }, options) => decide(label, options),
  onChange: () => enableDecision(),
});
// Every message goes through it, so that one about something else keeps a waiting decision's Undo.
const { say } = keyDecisions;
const showLiveState = connectionIndicator(page.liveState);

const timeline = createTimelineChart({ container: element('timeline-chart', HTMLElement), readout: page.timelineReadout });

const caseId = new URLSearchParams(location.search).get('caseId');
const queueSearch = sessionStorage.getItem(QUEUE_SEARCH_KEY) ?? '';

const state = {
  /** @type {CaseDetail | null} */
  detail: null,
  /** @type {CaseEvent[]} */
  events: [],
  /** A decision or assignment is on its way: the buttons wait for it, and the stream's changes too (it reads the case again after). */
  busy: false,
  /** @type {ReturnType<typeof setTimeout> | undefined} the periodic read of the history */
  timer: undefined,
  /** @type {ReturnType<typeof setTimeout> | undefined} the read the stream asked for */
  liveTimer: undefined,
  /** Whether the stream was live once: when it is again, what changed in between is read. */
  wasLive: false,
  /** @type {string | null} why a waiting decision was dropped, said again with the change that dropped it */
  notSent: null,
};

/** @param {TimeText} time */
const timeNodes = (time) => [...(time.date ? [el('span', { class: 'date' }, [time.date])] : []), time.time];

/** @param {Case} kase */
function showHeader(kase) {
  const header = caseHeader(kase, new Date());
  document.title = `fraudstream · case ${kase.cardId}`;
  page.card.textContent = kase.cardId;
  const label = kase.decision?.label;
  page.status.textContent = label ? `decided ${label}` : kase.status;
  page.status.className = `badge ${label ?? kase.status}`;
  page.content.dataset['caseStatus'] = kase.status;
  page.priority.title = header.priority.title;
  page.priority.replaceChildren(bar('priority-bar', header.priority.level, header.priority.width), `priority ${header.priority.text}`);
  page.atRisk.textContent = header.atRisk;
  page.alerts.textContent = header.alerts;
  page.maxScore.textContent = header.maxScore.text;
  page.maxScore.className = header.maxScore.level;
  page.decisions.replaceChildren(
    ...(/** @type {const} */ (['block', 'review'])).filter((kind) => kase.decisions[kind] > 0).map((kind) => el('span', { class: `chip ${kind}` }, [`${kase.decisions[kind]} ${kind}`])),
  );
  if (!page.decisions.childElementCount) page.decisions.textContent = '–';
  page.age.textContent = header.age.text;
  page.age.title = header.age.title;
  page.window.textContent = header.window;
  page.assignee.textContent = kase.assignee ?? 'unassigned';
  page.assignee.classList.toggle('none', kase.assignee === null);
  page.unassign.hidden = kase.assignee === null;
  page.assignMe.disabled = state.busy || (kase.assignee !== null && kase.assignee === me());
}

/** @param {Case} kase */
function showDecision(kase) {
  const open = kase.status === 'open';
  page.decideForm.hidden = !open;
  page.decided.hidden = open;
  page.decideHelp.textContent = decideHelp(kase);
  enableDecision();
  if (open || !kase.decision) return;
  page.decidedText.textContent = decisionText(kase.decision);
  page.decidedText.className = `decided-text ${kase.decision.label}`;
  page.decidedNote.hidden = !kase.decision.note;
  page.decidedNote.textContent = kase.decision.note ?? '';
  void findNextCase(kase.caseId);
}

/** The buttons: disabled while something is sent; the one whose decision waits to be sent marked. */
function enableDecision() {
  page.decideFraud.disabled = state.busy;
  page.decideLegit.disabled = state.busy;
  const waiting = keyDecisions.current();
  page.decideFraud.classList.toggle('armed', waiting?.label === 'fraud');
  page.decideLegit.classList.toggle('armed', waiting?.label === 'legit');
}

/** The next open case by priority, within the queue's assignee filter; the queue when there is none. @param {string} current */
async function findNextCase(current) {
  page.nextCase.textContent = 'Next case…';
  page.nextCase.href = `cases.html${queueSearch}`;
  try {
    const filters = { ...filtersFrom(queueSearch), status: /** @type {const} */ ('open'), sort: /** @type {const} */ ('priority') };
    const answer = await api.cases(casesQuery(filters, { limit: 2 }));
    const next = nextOpenCase(answer.cases, current);
    page.nextCase.textContent = next ? `Next case: ${next.cardId} (priority ${next.priority.toFixed(2)}) →` : 'No more open cases: the queue';
    page.nextCase.href = next ? caseHref(next.caseId) : `cases.html${queueSearch}`;
  } catch {
    page.nextCase.textContent = 'Next case: the queue';
  }
}

/** @param {ReturnType<typeof alertSummary>} alert */
function alertCard(alert) {
  const reasons = alert.reasons.shown.map((reason) =>
    el('tr', { title: reason.title }, [
      el('th', { scope: 'row' }, [el('span', { class: 'feature' }, [reason.feature]), el('span', { class: 'values' }, [reason.values])]),
      el('td', { class: 'contribution' }, [el('span', { class: 'contribution-cell' }, [bar('contribution-bar', 'contribution', reason.share), reason.contribution])]),
    ]),
  );
  return el('article', { id: alert.anchor, class: 'case-alert', tabindex: '-1', 'aria-labelledby': `${alert.anchor}-title`, 'data-alert-status': alert.status }, [
    el('h3', { id: `${alert.anchor}-title` }, [
      el('span', { class: 'time', title: alert.time.iso }, timeNodes(alert.time)),
      el('span', { class: 'amount' }, [alert.amount]),
      el('span', { class: `score ${alert.score.level}`, title: alert.score.title }, [`score ${alert.score.text}`]),
    ]),
    el('p', { class: 'alert-meta' }, [
      el('span', { class: `badge ${alert.decision}` }, [alert.decision]),
      ' ',
      el('span', { class: `badge ${alert.status}` }, [alert.status]),
      ' ',
      el('span', { class: 'terminal' }, [alert.terminalId]),
      ...alert.ruleHits.flatMap((hit) => [' ', el('span', { class: `chip rule ${hit.action}`, title: hit.title }, [hit.ruleId])]),
    ]),
    reasons.length
      ? el('table', { class: 'reasons-table', 'aria-label': 'Reasons that raised the score' }, [
          el('thead', {}, [el('tr', {}, [el('th', { scope: 'col' }, ['Reason: value vs typical']), el('th', { scope: 'col' }, ['Raised the score by'])])]),
          el('tbody', {}, reasons),
        ])
      : el('p', { class: 'panel-note' }, ['No reason raised the score.']),
    ...(alert.reasons.hidden > 0 ? [el('p', { class: 'panel-note hidden-reasons' }, [`${alert.reasons.hidden} reason${alert.reasons.hidden === 1 ? '' : 's'} that did not raise the score not shown.`])] : []),
  ]);
}

/** @param {PaymentRow} row */
function paymentRow(row) {
  const alert = row.alert
    ? el('a', { href: row.alert.href, title: row.alert.inCase ? `alert ${row.alert.alertId} of this case` : `alert ${row.alert.alertId}, of another case: the card's alerts` }, [row.alert.inCase ? 'this case' : 'other case'])
    : '';
  return el('tr', { 'data-alerted': String(row.alert !== null), 'data-in-window': String(row.inWindow), 'data-fraud': String(row.label?.fraud ?? false) }, [
    el('td', { class: 'time', title: row.time.iso }, timeNodes(row.time)),
    el('td', { class: 'num' }, [row.amount, el('span', { class: 'currency' }, [row.currency])]),
    el('td', { class: 'terminal' }, [row.terminalId]),
    el('td', {}, [row.channel]),
    el('td', { class: 'mcc' }, [row.merchantCategory]),
    el('td', {}, [el('span', { class: 'score-cell' }, [bar('score-bar', row.score.level, row.score.width), el('span', { class: row.score.level }, [row.score.text])])]),
    el('td', {}, row.decision ? [el('span', { class: `badge ${row.decision}` }, [row.decision])] : []),
    el('td', { class: 'rule-ids', title: row.rulesTitle }, [row.ruleIds.join(', ')]),
    el('td', {}, row.label ? [el('span', { class: `badge ${row.label.text}` }, [row.label.text]), el('span', { class: 'label-source' }, [row.label.source])] : []),
    el('td', { class: 'alert-link' }, [alert]),
  ]);
}

/** @param {CaseDetail} detail */
function show(detail) {
  const now = new Date();
  const kase = detail.case;
  page.empty.hidden = true;
  page.content.hidden = false;
  showHeader(kase);
  showDecision(kase);
  timeline.update(timelineOf(detail.payments, detail.alerts, kase));
  page.alertList.replaceChildren(...detail.alerts.map((alert) => alertCard(alertSummary(alert, now))));
  const rows = paymentRows(detail.payments, detail.alerts, kase, now);
  page.paymentRows.replaceChildren(...rows.map(paymentRow));
  page.paymentsEmpty.hidden = rows.length > 0;
  page.paymentsNote.textContent = rows.length >= 500 ? 'the newest 500' : `${rows.length} payment${rows.length === 1 ? '' : 's'}`;
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView({ block: 'nearest' });
}

function showHistory() {
  page.historyList.replaceChildren(
    ...state.events.map((event) => {
      const item = historyItem(event);
      return el('li', { 'data-action': event.action }, [
        el('time', { datetime: item.at, class: 'when' }, [item.when]),
        ' ',
        el('b', { class: 'actor' }, [item.actor]),
        ' ',
        item.text,
        ...(item.note ? [el('q', { class: 'note' }, [item.note])] : []),
      ]);
    }),
  );
  page.historyEmpty.hidden = state.events.length > 0;
}

/** @param {string} text */
function showEmpty(text) {
  page.empty.textContent = text;
  page.empty.hidden = false;
  page.content.hidden = true;
}

async function loadCase() {
  if (caseId === null) return;
  try {
    state.detail = await api.caseDetail(caseId);
    show(state.detail);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) showEmpty(`No case ${caseId}: open one from the queue.`);
    else if (readDeclined()) showEmpty('The case needs the read token: reload the page to enter it.');
    else if (state.detail) say(`Could not read the case again: ${messageOf(err)}`);
    else showEmpty(`Could not load the case: ${messageOf(err)}`);
  }
}

/**
 * Reads the history; when it has grown since the last read (an alert joined, someone else assigned or
 * decided), the case too, and says so.
 * @param {{ ownChange?: boolean }} [options] ownChange: after this page's own decision or assignment, which it showed already
 */
async function loadHistory({ ownChange = false } = {}) {
  if (caseId === null) return;
  clearTimeout(state.timer);
  try {
    const { events } = await api.caseHistory(caseId);
    const known = state.events.length;
    const changed = !ownChange && known > 0 && events.length !== known;
    state.events = events;
    showHistory();
    if (changed) {
      const latest = events.at(-1);
      if (latest) say(state.notSent ?? `The case changed: ${latest.actor} ${historyItem(latest).text}.`, state.notSent === null);
      state.notSent = null;
      await loadCase();
    }
  } catch (err) {
    if (!readDeclined() && state.detail) page.historyEmpty.textContent = `Could not read the history: ${messageOf(err)}`;
    page.historyEmpty.hidden = state.events.length > 0;
  }
  schedule();
}

function schedule() {
  clearTimeout(state.timer);
  if (!document.hidden && !readDeclined()) state.timer = setTimeout(() => void loadHistory(), REFRESH_MS);
}

/**
 * Sends the decision: a button's at once, f / l's after their undo window (or sooner). The buttons are
 * enabled again whatever comes of it (a cancelled token dialog too).
 * @param {FeedbackLabel} label
 * @param {SendOptions} [options]
 */
async function decide(label, { keepalive = false } = {}) {
  const kase = state.detail?.case;
  if (!kase) return;
  if (kase.status !== 'open') {
    say(notSentMessage(kase, label));
    return;
  }
  state.busy = true;
  enableDecision();
  try {
    const name = me();
    const note = page.note.value.trim();
    const decided = await api.decideCase(kase.caseId, { label, openAlertCount: kase.openAlertCount, ...(note ? { note } : {}), ...(name ? { analyst: name } : {}) }, { keepalive });
    if (!decided) {
      say('Not decided: deciding needs the API token.');
      return;
    }
    say(decidedMessage(kase, label, kase.openAlertCount), true);
    page.note.value = '';
    if (state.detail) state.detail = { ...state.detail, case: decided };
    showDecision(decided);
    page.nextCase.focus();
    // The alerts' statuses and the payments' labels changed with it.
    await Promise.all([loadCase(), loadHistory({ ownChange: true })]);
  } catch (err) {
    if (err instanceof HttpError && err.status === 409) {
      say(alreadyDecidedMessage(err.message));
      await Promise.all([loadCase(), loadHistory()]);
    } else {
      say(`Could not decide: ${messageOf(err)}`);
    }
  } finally {
    state.busy = false;
    enableDecision();
    if (state.detail) showHeader(state.detail.case);
  }
}

/** f / l: the decision waits to be sent (see key-decisions.js). @param {FeedbackLabel} label */
function decideFromKey(label) {
  const kase = state.detail?.case;
  if (!kase) return;
  if (kase.status !== 'open') {
    say('This case is decided already.');
    return;
  }
  void keyDecisions.decide(kase, label);
}

/**
 * A change of the case on its stream: the case and its history are read again soon, once for a burst
 * of changes, and not while this page sends its own decision or assignment (it reads them after).
 */
function readSoon() {
  if (state.liveTimer !== undefined) return;
  state.liveTimer = setTimeout(() => {
    state.liveTimer = undefined;
    if (state.busy) readSoon();
    else void readLive();
  }, LIVE_REFRESH_MS);
}

async function readLive() {
  const known = state.events.length;
  // The history reads the case too, and says what changed, when it grew.
  await loadHistory();
  // It did not: the change is one this page read with its own (someone else's, made meanwhile, or its own's echo).
  if (state.events.length === known) await loadCase();
}

/** Follows the case's stream: another analyst's decision, a new alert, an assignment show within a second. */
function connectLive() {
  if (caseId === null) return;
  const query = { caseId };
  openEventStream({
    url: () => {
      const token = api.streamToken();
      return `cases/stream?${new URLSearchParams(token ? { ...query, token } : query)}`;
    },
    event: 'case',
    /** @param {CaseStreamEvent} event */
    onEvent: (event) => {
      const dropped = keyDecisions.dropIfDecided(event.case);
      if (dropped) {
        state.notSent = notSentMessage(event.case, dropped.label);
        say(state.notSent);
      }
      readSoon();
    },
    onState: (connection, label) => {
      showLiveState(connection, label);
      if (connection !== 'live') return;
      if (state.wasLive) readSoon();
      state.wasLive = true;
    },
  });
}

/**
 * Assigns the case (null: unassigns it), as the analyst whose name is kept.
 * @param {string | null} assignee
 */
async function assign(assignee) {
  const kase = state.detail?.case;
  if (!kase || state.busy) return;
  state.busy = true;
  const buttons = [page.assignMe, page.unassign, page.assignTo];
  for (const button of buttons) button.disabled = true;
  try {
    const name = me();
    const assigned = await api.assignCase(kase.caseId, { assignee, ...(name ? { analyst: name } : {}) });
    if (!assigned) {
      say('Not assigned: assigning needs the API token.');
      return;
    }
    say(assignee === null ? `${kase.cardId} is unassigned.` : assignee === name ? assignMessage(kase, assignee) : `${kase.cardId} is assigned to ${assignee}.`, true);
    if (state.detail) state.detail = { ...state.detail, case: assigned };
    page.assignName.value = '';
    await loadHistory({ ownChange: true });
  } catch (err) {
    say(`Could not assign: ${messageOf(err)}`);
  } finally {
    state.busy = false;
    for (const button of buttons) button.disabled = false;
    if (state.detail) showHeader(state.detail.case);
  }
}

async function assignToMe() {
  const name = await myName();
  if (!name) return;
  if (state.detail?.case.assignee === name) {
    say(assignMessage(state.detail.case, name), true);
    return;
  }
  await assign(name);
}

bindShortcuts('case', {
  fraud: () => decideFromKey('fraud'),
  legit: () => decideFromKey('legit'),
  assign: () => void assignToMe(),
  undo: () => keyDecisions.undo(),
});

page.decideForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const value = event.submitter instanceof HTMLButtonElement ? event.submitter.value : '';
  if ((value !== 'fraud' && value !== 'legit') || state.busy) return;
  // A click is deliberate: it decides at once, instead of what f / l left waiting.
  keyDecisions.cancel();
  void decide(value);
});

page.assignMe.addEventListener('click', () => void assignToMe());
page.unassign.addEventListener('click', () => void assign(null));
page.assignForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const typed = analystName(page.assignName.value);
  if ('error' in typed) {
    say(`Assign to whom? ${typed.error}`);
    page.assignName.focus();
    return;
  }
  void assign(typed.name);
});

document.addEventListener('visibilitychange', () => {
  if (document.hidden) clearTimeout(state.timer);
  else void loadHistory();
});

page.backLink.href = `cases.html${queueSearch}`;
page.backToQueue.href = `cases.html${queueSearch}`;

async function start() {
  if (caseId === null) {
    showEmpty('No case given: open one from the queue.');
    return;
  }
  await loadCase();
  if (!state.detail) return;
  // After the first read, which learns whether the stream needs the read token.
  connectLive();
  await loadHistory();
}

void start();
