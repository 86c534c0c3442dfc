// @ts-check
/**
 * The alerts dashboard: plain browser modules, no build step. Data comes from the service's own API:
 * GET /alerts for the first page, /alerts/stream (SSE) for new alerts, /stats for the chart. This
 * module wires the page's elements to the others and holds the page's state.
 */

import { createApi, tokenDialog } from './api.js';
import { createRateChart } from './chart.js';
import { countAlert, filterSummary, filtersOf, formatCount, formatPrecision, modelsText, modelsTitle, queryString, rateSummary } from './format.js';
import { connectionIndicator, openEventStream } from './stream.js';
import { createToast, element, messageOf } from './page.js';
import { createAlertTable } from './table.js';

/** @import { Alert, FeedbackLabel, Filters, MinuteCount } from './types.js' */

const PAGE_SIZE = 100;
const STATS_EVERY_MS = 15_000;

const page = {
  rows: element('alert-rows', HTMLTableSectionElement),
  empty: element('empty', HTMLElement),
  filters: element('filters', HTMLFormElement),
  clearFilters: element('clear-filters', HTMLButtonElement),
  filterSummary: element('filter-summary', HTMLElement),
  loadMore: element('load-more', HTMLButtonElement),
  connection: element('connection', HTMLElement),
  toast: element('toast', HTMLElement),
  rateChart: element('rate-chart', HTMLElement),
  rateNow: element('rate-now', HTMLElement),
  totals: {
    all: element('total-all', HTMLElement),
    open: element('total-open', HTMLElement),
    fraud: element('total-fraud', HTMLElement),
    legit: element('total-legit', HTMLElement),
  },
  precision: element('precision', HTMLElement),
  models: element('models', HTMLElement),
};

const state = {
  /** @type {Filters} */
  filters: {},
  /** @type {string | null} */
  nextCursor: null,
  /** The highest sequence shown: where a reopened stream resumes. */
  lastSequence: 0,
  /** @type {MinuteCount[]} */
  perMinute: [],
  /** @type {{ close(): void } | null} */
  stream: null,
};

const api = createApi({
  storage: sessionStorage,
  askToken: tokenDialog({
    dialog: element('token-dialog', HTMLDialogElement),
    input: element('token-input', HTMLInputElement),
    title: element('token-title', HTMLElement),
    help: element('token-help', HTMLElement),
  }),
});
const chart = createRateChart(page.rateChart);
const table = createAlertTable({ body: page.rows, empty: page.empty, onFilter: filterBy, onVerdict: sendVerdict });

const toast = createToast(page.toast);

/** @param {Alert} alert @param {{ live: boolean }} where */
function show(alert, where) {
  state.lastSequence = Math.max(state.lastSequence, alert.sequence);
  return table.show(alert, where);
}

const setConnection = connectionIndicator(page.connection);

/** @param {string} alertId @param {FeedbackLabel} label */
async function sendVerdict(alertId, label) {
  try {
    const reviewed = await api.sendFeedback(alertId, label);
    if (!reviewed) return false;
    show(reviewed, { live: false });
    toast(`Marked ${reviewed.transaction.cardId} as ${label}; label sent`, true);
    void refreshStats();
    return true;
  } catch (err) {
    toast(`Could not record the verdict: ${messageOf(err)}`);
    return false;
  }
}

/** @param {'cardId' | 'terminalId'} field @param {string} value */
function filterBy(field, value) {
  const input = page.filters.elements.namedItem(field);
  if (input instanceof HTMLInputElement) input.value = value;
  page.filters.requestSubmit();
}

function drawRate() {
  chart.update(state.perMinute);
  page.rateNow.textContent = rateSummary(state.perMinute);
}

async function refreshStats() {
  try {
    const stats = await api.stats();
    state.perMinute = stats.alertsPerMinute;
    for (const key of /** @type {const} */ (['all', 'open', 'fraud', 'legit'])) page.totals[key].textContent = formatCount(stats.totals[key]);
    page.precision.textContent = formatPrecision(stats.precision);
    page.models.textContent = modelsText(stats.modelVersions);
    page.models.title = modelsTitle(stats.modelVersions);
    drawRate();
  } catch (err) {
    toast(`Could not load stats: ${messageOf(err)}`);
  }
}

function connect() {
  state.stream?.close();
  state.stream = openEventStream({
    // Reopened streams resume after the last alert shown; the read token only when the service asked for one.
    url: () => {
      const lastEventId = state.lastSequence > 0 ? String(state.lastSequence) : undefined;
      return `alerts/stream?${queryString(state.filters, { lastEventId, token: api.streamToken() ?? undefined })}`;
    },
    event: 'alert',
    /** @param {Alert} alert */
    onEvent: (alert) => {
      // An alert already on screen comes again when someone reviews it: its row is updated in place.
      if (!show(alert, { live: true })) return;
      const counted = countAlert(state.perMinute, alert.detectedAt);
      if (counted) {
        state.perMinute = counted;
        drawRate();
      }
    },
    onState: setConnection,
  });
}

async function loadPage() {
  const result = await api.listAlerts(queryString(state.filters, { limit: String(PAGE_SIZE), cursor: state.nextCursor ?? undefined }));
  for (const alert of result.items) show(alert, { live: false });
  state.nextCursor = result.nextCursor;
  page.loadMore.hidden = state.nextCursor === null;
  table.refreshEmpty();
}

async function reload() {
  state.stream?.close();
  table.clear();
  state.nextCursor = null;
  state.lastSequence = 0;
  try {
    // A read first, so the stream knows whether it needs the read token. Then the stream, then the
    // page: an alert stored in between arrives on the stream or is on the page (or both: rows are
    // keyed by alert id), never neither.
    await api.listAlerts('limit=1');
    connect();
    await loadPage();
  } catch (err) {
    setConnection('offline', 'offline');
    toast(messageOf(err));
  }
  page.filterSummary.textContent = filterSummary(state.filters);
}

page.filters.addEventListener('submit', (event) => {
  event.preventDefault();
  state.filters = filtersOf(new FormData(page.filters));
  const params = queryString(state.filters);
  history.replaceState(null, '', params ? `?${params}` : location.pathname);
  void reload();
});

page.clearFilters.addEventListener('click', () => {
  page.filters.reset();
  page.filters.requestSubmit();
});

page.loadMore.addEventListener('click', () => {
  loadPage().catch((err) => toast(messageOf(err)));
});

const initial = new URLSearchParams(location.search);
for (const field of ['cardId', 'terminalId', 'status', 'minScore']) {
  const input = page.filters.elements.namedItem(field);
  const value = initial.get(field);
  if (value !== null && (input instanceof HTMLInputElement || input instanceof HTMLSelectElement)) input.value = value;
}
state.filters = filtersOf(new FormData(page.filters));
void reload();
void refreshStats();
setInterval(() => void refreshStats(), STATS_EVERY_MS);
