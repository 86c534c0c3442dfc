// @ts-check
/**
 * The case queue, the analyst's working list: the open (or decided) cases, by priority or age, read
 * again soon after the case stream (GET /cases/stream) says one changed, and every 15 s while the tab
 * is visible in any case (GET /cases, and GET /stats for the totals). Worked from the keyboard: j / k
 * move the selection, Enter opens the case, f / l decide it (sent after the undo window, u undoes it)
 * and move on to the next open case, a assigns it to me. The analyst's name is kept in localStorage,
 * the tokens in the tab.
 */

import { HttpError } from './api.js';
import {
  LIVE_REFRESH_MS,
  PAGE_SIZE,
  QUEUE_SEARCH_KEY,
  REFRESH_MS,
  SELECTED_KEY,
  UNDO_MS,
  alreadyDecidedMessage,
  assignMessage,
  caseHref,
  caseRow,
  caseTotals,
  casesQuery,
  decidedMessage,
  emptyText,
  filtersFrom,
  inQueue,
  moveSelection,
  nextOpenIndex,
  notSentMessage,
  pageSearch,
  queueSummary,
  refreshLimit,
  reselect,
} from './cases-format.js';
import { analystNameDialog, bindShortcuts, me } from './dialogs.js';
import { createKeyDecisions } from './key-decisions.js';
import { bar, createPageApi, createToast, el, element, messageOf } from './page.js';
import { createRefreshTimer } from './refresh-timer.js';
import { connectionIndicator, openEventStream } from './stream.js';

/** @import { CaseRow, QueueFilters } from './cases-format.js' */
/** @import { PendingDecision, SendOptions } from './pending-decision.js' */
/** @import { Case, CaseStats, CaseStreamEvent, FeedbackLabel, Stats } from './types.js' */

const page = {
  filters: element('queue-filters', HTMLFormElement),
  assigneeMode: element('assignee-mode', HTMLSelectElement),
  assigneeMe: element('assignee-me', HTMLOptionElement),
  assigneeNameLabel: element('assignee-name-label', HTMLElement),
  assigneeName: element('assignee-name', HTMLInputElement),
  refreshStatus: element('refresh-status', HTMLElement),
  liveState: element('live-state', HTMLElement),
  me: element('me', HTMLElement),
  summary: element('queue-summary', HTMLElement),
  rows: element('case-rows', HTMLTableSectionElement),
  empty: element('queue-empty', HTMLElement),
  loadMore: element('load-more', HTMLButtonElement),
  totals: {
    open: element('total-open', HTMLElement),
    unassigned: element('total-unassigned', HTMLElement),
    oldest: element('total-oldest', HTMLElement),
    decidedLastDay: element('total-decided', HTMLElement),
  },
  toast: element('toast', HTMLElement),
};

// Long enough to read what a decision did, and to stay up while it can be undone.
const toast = createToast(page.toast, UNDO_MS + 2000);

// A cancelled read token dialog stops the timer asking until the analyst presses Refresh.
const { api, readDeclined, clearDeclined } = createPageApi();
const askName = analystNameDialog();
const keyDecisions = createKeyDecisions({ api, box: page.toast, toast, send: sendDecision, onChange: () => showSelection() });
// Every message goes through it, so that one about something else keeps a waiting decision's Undo.
const { say } = keyDecisions;
const showLiveState = connectionIndicator(page.liveState);

const state = {
  /** @type {QueueFilters} */
  filters: filtersFrom(location.search),
  /** @type {Case[]} */
  cases: [],
  /** @type {string | null} */
  nextCursor: null,
  /** @type {string | null} the selected case */
  selected: sessionStorage.getItem(SELECTED_KEY),
  selectedIndex: -1,
  /** An assignment is on its way: a second waits for it. */
  busy: false,
  /** @type {{ close(): void } | null} the case stream, opened after the first read (which learns whether it needs the read token) */
  stream: null,
  /** Whether the stream was live once: when it is again, what changed in between is read. */
  wasLive: false,
  /** The stream said a case changed since the last read began: the next read is soon. */
  stale: false,
  /** A read is on its way. */
  reading: false,
  /** @type {Date | null} */
  updatedAt: null,
  /** @type {string | null} why the last read failed */
  failure: null,
  /** Answers to an older request (the filters changed meanwhile) are dropped. */
  request: 0,
};

const refreshTimer = createRefreshTimer({ everyMs: REFRESH_MS, status: page.refreshStatus, lastRead: state, readDeclined, refresh });

/** @param {CaseRow} row */
function caseRowElement(row) {
  const card = el('td', { class: 'card' }, [el('a', { href: row.href, 'aria-label': row.summary }, [row.cardId])]);
  if (row.label) card.append(' ', el('span', { class: `badge ${row.label}` }, [row.label]));
  const decisions = el(
    'td',
    { class: 'decisions' },
    row.decisions.map((decision) => el('span', { class: `chip ${decision.kind}`, title: `${decision.count} of its alerts asked to ${decision.kind}` }, [`${decision.count} ${decision.kind}`])),
  );
  const assignee = el('td', { class: 'assignee' }, [row.assignee ?? el('span', { class: 'none' }, ['unassigned'])]);
  if (row.assignee !== null && row.assignee === me()) assignee.classList.add('mine');
  return el('tr', { 'data-case-id': row.caseId, 'data-case-status': row.status }, [
    el('td', { class: 'priority' }, [el('span', { class: 'priority-cell', title: row.priority.title }, [bar('priority-bar', row.priority.level, row.priority.width), row.priority.text])]),
    card,
    el('td', { class: 'num age', title: row.age.title }, [row.age.text]),
    el('td', { class: 'num', title: row.alerts.title }, [row.alerts.text]),
    el('td', {}, [el('span', { class: 'score-cell' }, [bar('score-bar', row.maxScore.level, row.maxScore.width), el('span', { class: row.maxScore.level }, [row.maxScore.text])])]),
    el('td', { class: 'num' }, [row.atRisk.amount, el('span', { class: 'currency' }, [row.atRisk.currency])]),
    decisions,
    assignee,
    el('td', { class: 'time', title: row.lastAlert.iso }, [...(row.lastAlert.date ? [el('span', { class: 'date' }, [row.lastAlert.date])] : []), row.lastAlert.time]),
  ]);
}

/** The selected row's card link: what keeps the focus and what Enter follows. */
function selectedLink() {
  const link = page.rows.rows[state.selectedIndex]?.querySelector('td.card a');
  return link instanceof HTMLAnchorElement ? link : null;
}

/** Marks the selected row (and the one whose decision waits to be sent). */
function showSelection() {
  const waiting = keyDecisions.current();
  [...page.rows.rows].forEach((row, index) => {
    const selected = index === state.selectedIndex;
    row.classList.toggle('selected', selected);
    if (selected) row.setAttribute('aria-current', 'true');
    else row.removeAttribute('aria-current');
    row.dataset['pending'] = waiting && waiting.kase.caseId === row.dataset['caseId'] ? waiting.label : '';
  });
  if (state.selected !== null) sessionStorage.setItem(SELECTED_KEY, state.selected);
}

function render() {
  const focusWasInRows = page.rows.contains(document.activeElement);
  const now = new Date();
  state.selectedIndex = reselect(
    state.cases.map((kase) => kase.caseId),
    state.selected,
    state.selectedIndex,
  );
  // An empty list (the filters just changed) keeps the selection for the rows to come.
  if (state.cases.length > 0) state.selected = state.cases[state.selectedIndex]?.caseId ?? null;
  page.rows.replaceChildren(...state.cases.map((kase) => caseRowElement(caseRow(kase, now))));
  showSelection();
  if (focusWasInRows) selectedLink()?.focus({ preventScroll: true });
  page.empty.hidden = state.cases.length > 0;
  page.empty.textContent = emptyText(state.filters);
  page.loadMore.hidden = state.nextCursor === null;
  page.summary.textContent = state.updatedAt ? queueSummary(state.filters, state.cases.length, state.nextCursor !== null) : '';
}

/** @param {number} index */
function select(index) {
  state.selectedIndex = index;
  state.selected = state.cases[index]?.caseId ?? null;
  showSelection();
  const link = selectedLink();
  link?.focus({ preventScroll: true });
  link?.closest('tr')?.scrollIntoView({ block: 'nearest' });
}

async function refreshTotals() {
  try {
    const stats = /** @type {Stats & { cases?: CaseStats }} */ (await api.stats());
    const totals = caseTotals(stats.cases, new Date());
    for (const key of /** @type {const} */ (['open', 'unassigned', 'oldest', 'decidedLastDay'])) page.totals[key].textContent = totals[key];
  } catch {
    // The queue's own read says what went wrong; the totals stay as they were.
  }
}

/** Reads the queue again: as many cases as are shown, from the top. */
async function refresh() {
  refreshTimer.stop();
  state.stale = false;
  state.reading = true;
  const request = ++state.request;
  try {
    const answer = await api.cases(casesQuery(state.filters, { limit: refreshLimit(state.cases.length) }));
    if (request !== state.request) return;
    state.cases = answer.cases;
    state.nextCursor = answer.nextCursor;
    state.updatedAt = new Date();
    state.failure = null;
    render();
    void refreshTotals();
    connectLive();
  } catch (err) {
    if (request !== state.request) return;
    state.failure = messageOf(err);
    say(readDeclined() ? 'The cases need the read token: press Refresh to enter it.' : `Could not load the cases: ${state.failure}`);
  } finally {
    // A newer read (the filters changed) schedules the next one itself.
    if (request === state.request) {
      state.reading = false;
      refreshTimer.schedule(state.stale ? LIVE_REFRESH_MS : undefined);
    }
  }
}

/**
 * A case changed (the stream said so): the queue is read again soon. One read for a burst of
 * changes, and not one read cut short by the next: a change during a read is read after it.
 */
function readSoon() {
  if (state.stale) return;
  state.stale = true;
  if (!state.reading) refreshTimer.schedule(LIVE_REFRESH_MS);
}

/** Follows the case stream (once): each `case` event is a change to read. */
function connectLive() {
  if (state.stream) return;
  state.stream = openEventStream({
    url: () => {
      const token = api.streamToken();
      return token ? `cases/stream?${new URLSearchParams({ token })}` : 'cases/stream';
    },
    event: 'case',
    /** @param {CaseStreamEvent} event */
    onEvent: (event) => {
      const dropped = keyDecisions.dropIfDecided(event.case);
      if (dropped) say(notSentMessage(event.case, dropped.label));
      readSoon();
    },
    onState: (connection, label) => {
      showLiveState(connection, label);
      if (connection !== 'live') return;
      // Back after a break: what changed meanwhile is read now, not at the next periodic read.
      if (state.wasLive) readSoon();
      state.wasLive = true;
    },
  });
}

async function loadMore() {
  if (state.nextCursor === null) return;
  page.loadMore.disabled = true;
  try {
    const answer = await api.cases(casesQuery(state.filters, { limit: PAGE_SIZE, cursor: state.nextCursor }));
    const shown = new Set(state.cases.map((kase) => kase.caseId));
    state.cases = [...state.cases, ...answer.cases.filter((kase) => !shown.has(kase.caseId))];
    state.nextCursor = answer.nextCursor;
    render();
  } catch (err) {
    say(`Could not load more cases: ${messageOf(err)}`);
  } finally {
    page.loadMore.disabled = false;
  }
}

/** Shows `kase` as the server now has it, or drops it when the filters no longer take it in. @param {Case} kase */
function replaceCase(kase) {
  state.cases = inQueue(kase, state.filters) ? state.cases.map((shown) => (shown.caseId === kase.caseId ? kase : shown)) : state.cases.filter((shown) => shown.caseId !== kase.caseId);
  render();
}

/**
 * The analyst's name (see analystNameDialog), shown again when they gave one.
 * @param {{ change?: boolean }} [options] change: ask even when one is kept
 * @returns {Promise<string | null>} null when they cancelled
 */
async function myName({ change = false } = {}) {
  const name = await askName({ change });
  if (name) showMe();
  return name;
}

function showMe() {
  const name = me();
  page.assigneeMe.textContent = name ? `mine (${name})` : 'mine…';
  const change = el('button', { type: 'button', class: 'secondary small' }, [name ? 'change' : 'set']);
  change.addEventListener('click', () => void myName({ change: true }).then(() => render()));
  page.me.replaceChildren(name ? `you: ${name} ` : 'you: not set ', change);
}

/** @returns {Case | null} */
const selectedCase = () => state.cases[state.selectedIndex] ?? null;

/**
 * f / l: the selected case's decision waits to be sent (see key-decisions.js), and the selection
 * moves on to the next open case.
 * @param {FeedbackLabel} label
 */
async function decideSelected(label) {
  const kase = selectedCase();
  if (!kase) {
    say('No case selected: move to one with j / k.');
    return;
  }
  if (kase.status !== 'open') {
    say(`${kase.cardId}'s case is decided already.`);
    return;
  }
  const outcome = await keyDecisions.decide(kase, label);
  if ((outcome === 'scheduled' || outcome === 'switched') && state.selected === kase.caseId) {
    select(nextOpenIndex(state.cases, state.cases.findIndex((shown) => shown.caseId === kase.caseId)));
  }
}

/**
 * Sends a decision made with f / l once its undo window is over (or sooner). While another waits,
 * what came of it is said briefly, before the waiting one's Undo.
 * @param {PendingDecision} decision
 * @param {SendOptions} options
 */
async function sendDecision({ kase, label }, { keepalive = false }) {
  try {
    const name = me();
    const decided = await api.decideCase(kase.caseId, { label, openAlertCount: kase.openAlertCount, ...(name ? { analyst: name } : {}) }, { keepalive });
    if (!decided) {
      say(`${kase.cardId} not decided: deciding needs the API token.`);
      return;
    }
    say(keyDecisions.current() ? `${kase.cardId} decided ${label}.` : decidedMessage(kase, label, kase.openAlertCount), true);
    replaceCase(decided);
    void refreshTotals();
  } catch (err) {
    if (err instanceof HttpError && err.status === 409) {
      say(alreadyDecidedMessage(err.message));
      void refresh();
    } else {
      say(`Could not decide ${kase.cardId}: ${messageOf(err)}`);
    }
  }
}

async function assignSelectedToMe() {
  const kase = selectedCase();
  if (!kase) {
    say('No case selected: move to one with j / k.');
    return;
  }
  const name = await myName();
  if (!name || state.busy) return;
  if (kase.assignee === name) {
    say(assignMessage(kase, name), true);
    return;
  }
  state.busy = true;
  try {
    const assigned = await api.assignCase(kase.caseId, { assignee: name, analyst: name });
    if (!assigned) {
      say(`${kase.cardId} not assigned: assigning needs the API token.`);
      return;
    }
    say(assignMessage(kase, name), true);
    replaceCase(assigned);
    void refreshTotals();
  } catch (err) {
    say(`Could not assign ${kase.cardId}: ${messageOf(err)}`);
  } finally {
    state.busy = false;
  }
}

function openSelected() {
  const kase = selectedCase();
  if (kase) location.href = caseHref(kase.caseId);
}

bindShortcuts('queue', {
  next: () => select(moveSelection(state.selectedIndex, state.cases.length, 1)),
  previous: () => select(moveSelection(state.selectedIndex, state.cases.length, -1)),
  open: () => openSelected(),
  fraud: () => void decideSelected('fraud'),
  legit: () => void decideSelected('legit'),
  assign: () => void assignSelectedToMe(),
  undo: () => keyDecisions.undo(),
});

page.rows.addEventListener('click', (event) => {
  const row = event.target instanceof Element ? event.target.closest('tr') : null;
  if (!row?.dataset['caseId']) return;
  state.selected = row.dataset['caseId'];
  sessionStorage.setItem(SELECTED_KEY, state.selected);
  // A click on the card's link follows it by itself.
  if (event.target instanceof Element && event.target.closest('a')) return;
  location.href = caseHref(row.dataset['caseId']);
});

// Tabbing onto a row's link selects the row, so that f / l / a act on what has the focus.
page.rows.addEventListener('focusin', (event) => {
  const row = event.target instanceof Element ? event.target.closest('tr') : null;
  const index = row ? [...page.rows.rows].indexOf(/** @type {HTMLTableRowElement} */ (row)) : -1;
  if (index >= 0 && index !== state.selectedIndex) {
    state.selectedIndex = index;
    state.selected = state.cases[index]?.caseId ?? null;
    showSelection();
  }
});

/** The filters as the form shows them; null when it waits for a name to be typed. @returns {QueueFilters | null} */
function formFilters() {
  const data = new FormData(page.filters);
  const mode = page.assigneeMode.value;
  page.assigneeNameLabel.hidden = mode !== 'named';
  const name = page.assigneeName.value.trim();
  if (mode === 'named' && !name) return null;
  return {
    status: data.get('status') === 'decided' ? 'decided' : 'open',
    sort: data.get('sort') === 'age' ? 'age' : 'priority',
    assignee: mode === 'anyone' ? null : mode === 'unassigned' ? '' : mode === 'me' ? me() : name,
  };
}

/** The form as the filters say. @param {QueueFilters} filters */
function showFilters(filters) {
  for (const [name, value] of /** @type {const} */ ([['status', filters.status], ['sort', filters.sort]])) {
    for (const input of page.filters.querySelectorAll(`input[name="${name}"]`)) if (input instanceof HTMLInputElement) input.checked = input.value === value;
  }
  const mode = filters.assignee === null ? 'anyone' : filters.assignee === '' ? 'unassigned' : filters.assignee === me() ? 'me' : 'named';
  page.assigneeMode.value = mode;
  page.assigneeName.value = mode === 'named' ? (filters.assignee ?? '') : '';
  page.assigneeNameLabel.hidden = mode !== 'named';
}

function applyFilters() {
  const filters = formFilters();
  if (filters === null) {
    page.assigneeName.focus();
    return;
  }
  state.filters = filters;
  const search = pageSearch(filters);
  history.replaceState(null, '', search || location.pathname);
  sessionStorage.setItem(QUEUE_SEARCH_KEY, search);
  state.cases = [];
  state.nextCursor = null;
  state.updatedAt = null;
  clearDeclined();
  render();
  void refresh();
}

page.filters.addEventListener('change', (event) => {
  if (event.target === page.assigneeMode && page.assigneeMode.value === 'me' && !me()) {
    // "mine" needs the name: asked for now; cancelled, the filter stays as it was.
    void myName().then((name) => (name ? applyFilters() : showFilters(state.filters)));
    return;
  }
  if (event.target === page.assigneeMode && page.assigneeMode.value === 'named') {
    page.assigneeNameLabel.hidden = false;
    page.assigneeName.focus();
    if (!page.assigneeName.value.trim()) return;
  }
  applyFilters();
});

page.filters.addEventListener('submit', (event) => {
  event.preventDefault();
  const filters = formFilters();
  if (filters !== null && JSON.stringify(filters) !== JSON.stringify(state.filters)) {
    applyFilters();
    return;
  }
  clearDeclined();
  void refresh();
});

page.loadMore.addEventListener('click', () => void loadMore());

// Back in view after the stream said something changed while the timer was paused: read it soon.
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && state.stale && !state.reading) refreshTimer.schedule(LIVE_REFRESH_MS);
});

showMe();
showFilters(state.filters);
sessionStorage.setItem(QUEUE_SEARCH_KEY, pageSearch(state.filters));
refreshTimer.showStatus();
void refresh();
