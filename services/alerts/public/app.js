// The alerts dashboard: plain browser JavaScript, no build step. Data comes from the service's own
// API: GET /alerts for the first page, /alerts/stream (SSE) for new alerts, /stats for the chart.

const MAX_ROWS = 500;
const PAGE_SIZE = 100;
const STATS_EVERY_MS = 15_000;
const API_TOKEN_KEY = 'fraudstream.alerts.apiToken';
const READ_TOKEN_KEY = 'fraudstream.alerts.readToken';

const $ = (id) => document.getElementById(id);
const rows = $('alert-rows');
const byId = new Map();

let filters = {};
let nextCursor = null;
let stream = null;
let lastSequence = 0;
let reconnectTimer = null;
let perMinute = [];
// Set when a read answered 401: only then does the stream URL carry the read token.
let readsNeedToken = false;

const numberFormat = new Intl.NumberFormat(undefined);
const amountFormat = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    // Through the CSSOM: the Content-Security-Policy refuses inline style attributes.
    else if (key === 'style') Object.assign(node.style, value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// --- tokens ---------------------------------------------------------------------------------

// Reads use the read token only: the API token (it can mark alerts) never goes with a read, so it
// can never end up in a stream URL, where proxies and logs see it.
const readToken = () => sessionStorage.getItem(READ_TOKEN_KEY);

function askToken(kind) {
  const dialog = $('token-dialog');
  const input = $('token-input');
  $('token-title').textContent = kind === 'api' ? 'API token' : 'Read token';
  $('token-help').textContent =
    kind === 'api'
      ? "Marking alerts needs the service's ALERTS_API_TOKEN. It is kept in this browser tab only."
      : "This service protects reads: enter its ALERTS_READ_TOKEN. It is kept in this browser tab only.";
  input.value = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        const token = dialog.returnValue === 'ok' ? input.value.trim() : '';
        if (token) sessionStorage.setItem(kind === 'api' ? API_TOKEN_KEY : READ_TOKEN_KEY, token);
        resolve(token || null);
      },
      { once: true },
    );
  });
}

async function getJson(path) {
  for (;;) {
    const token = readsNeedToken ? readToken() : null;
    const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (response.status === 401 || response.status === 403) {
      readsNeedToken = true;
      // A token that was sent and refused is forgotten; a stored one not yet tried is tried next.
      if (token !== null) sessionStorage.removeItem(READ_TOKEN_KEY);
      if (readToken() === null && !(await askToken('read'))) throw new Error('A read token is needed to see alerts');
      continue;
    }
    const body = await response.json();
    if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
    return body;
  }
}

// --- table ----------------------------------------------------------------------------------

function scoreClass(score) {
  if (score >= 0.8) return 'score-high';
  if (score >= 0.5) return 'score-mid';
  return 'score-low';
}

function formatFeature(name) {
  return name.replace(/([a-z])([A-Z0-9])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
}

function formatValue(value) {
  if (Math.abs(value) >= 1000) return numberFormat.format(Math.round(value));
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function timeCell(detectedAt) {
  const at = new Date(detectedAt);
  const today = new Date().toDateString() === at.toDateString();
  const cell = el('td', { class: 'time', title: at.toISOString() });
  if (!today) cell.append(el('span', { class: 'date', text: at.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) }));
  cell.append(at.toLocaleTimeString(undefined, { hour12: false }));
  return cell;
}

function filterLink(field, value) {
  const link = el('a', { href: '#', title: `Only ${value}`, text: value });
  link.addEventListener('click', (event) => {
    event.preventDefault();
    const form = $('filters');
    form.elements[field].value = value;
    form.requestSubmit();
  });
  return link;
}

function renderRow(alert) {
  const tx = alert.transaction;
  const reasons = [...alert.reasons].sort((a, b) => b.contribution - a.contribution).slice(0, 3);
  const row = el('tr', { dataset: { alertId: alert.alertId, status: alert.status, sequence: String(alert.sequence) } }, [
    timeCell(alert.detectedAt),
    el('td', { class: 'card' }, [filterLink('cardId', tx.cardId)]),
    el('td', { class: 'num' }, [amountFormat.format(tx.amount), el('span', { class: 'currency', text: tx.currency })]),
    el('td', { class: 'terminal' }, [filterLink('terminalId', tx.terminalId)]),
    el('td', {}, [
      el('div', { class: 'score-cell', title: `threshold ${alert.threshold} · model ${alert.modelVersion}` }, [
        el('div', { class: 'score-bar' }, [el('span', { class: scoreClass(alert.score), style: { width: `${Math.round(alert.score * 100)}%` } })]),
        el('span', { class: scoreClass(alert.score), text: alert.score.toFixed(3) }),
      ]),
    ]),
    el(
      'td',
      {},
      [
        el(
          'div',
          { class: 'reasons' },
          reasons.map((reason) =>
            el('span', { class: 'reason', title: `contribution ${reason.contribution.toFixed(3)}` }, [
              el('b', { text: formatFeature(reason.feature) }),
              ' ',
              el('i', { text: `${formatValue(reason.value)} vs ${formatValue(reason.typical)}` }),
            ]),
          ),
        ),
      ],
    ),
    el('td', {}, [el('span', { class: `badge ${alert.status}`, text: alert.status })]),
    el('td', { class: 'actions' }, [
      el('div', { class: 'verdict' }, [
        el('button', { type: 'button', class: 'mark-fraud', 'data-label': 'fraud', text: 'Fraud' }),
        el('button', { type: 'button', class: 'mark-legit', 'data-label': 'legit', text: 'Legit' }),
      ]),
    ]),
  ]);
  if (alert.feedback) row.title = `${alert.feedback.label} · ${new Date(alert.feedback.at).toLocaleString()}${alert.feedback.note ? ` · ${alert.feedback.note}` : ''}`;
  for (const button of row.querySelectorAll('button')) button.disabled = alert.status === button.dataset.label;
  return row;
}

/** Adds or updates the alert's row; returns whether it was new to the table. */
function showAlert(alert, { live }) {
  lastSequence = Math.max(lastSequence, alert.sequence);
  const existing = byId.get(alert.alertId);
  const row = renderRow(alert);
  if (existing) {
    existing.replaceWith(row);
  } else if (live) {
    row.classList.add('fresh');
    rows.prepend(row);
    while (rows.rows.length > MAX_ROWS) {
      const last = rows.lastElementChild;
      byId.delete(last.dataset.alertId);
      last.remove();
    }
  } else {
    rows.append(row);
  }
  byId.set(alert.alertId, row);
  $('empty').hidden = rows.rows.length > 0;
  return !existing;
}

// --- feedback -------------------------------------------------------------------------------

function toast(message, ok = false) {
  const box = $('toast');
  box.textContent = message;
  box.className = ok ? 'toast ok' : 'toast';
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 4000);
}

async function sendVerdict(alertId, label) {
  let token = sessionStorage.getItem(API_TOKEN_KEY) ?? (await askToken('api'));
  while (token) {
    const response = await fetch(`alerts/${encodeURIComponent(alertId)}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ label }),
    });
    if (response.status === 401 || response.status === 403) {
      sessionStorage.removeItem(API_TOKEN_KEY);
      token = await askToken('api');
      continue;
    }
    const body = await response.json();
    if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
    showAlert(body, { live: false });
    toast(`Marked ${body.transaction.cardId} as ${label}; label sent`, true);
    void refreshStats();
    return;
  }
}

rows.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-label]');
  if (!button) return;
  const row = button.closest('tr');
  for (const b of row.querySelectorAll('button')) b.disabled = true;
  sendVerdict(row.dataset.alertId, button.dataset.label).catch((err) => {
    toast(`Could not record the verdict: ${err.message}`);
    for (const b of row.querySelectorAll('button')) b.disabled = row.dataset.status === b.dataset.label;
  });
});

// --- live stream ----------------------------------------------------------------------------

function setConnection(state, text) {
  const indicator = $('connection');
  indicator.dataset.state = state;
  indicator.querySelector('.label').textContent = text;
}

function query(extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filters, ...extra })) if (value !== '' && value !== undefined) params.set(key, value);
  return params.toString();
}

function connect() {
  stream?.close();
  clearTimeout(reconnectTimer);
  const token = readsNeedToken ? readToken() : null;
  // EventSource cannot send headers: the read token goes in the query, and only when the service
  // asked for one (a read answered 401); reconnects send Last-Event-ID.
  const resume = lastSequence > 0 ? { lastEventId: String(lastSequence) } : {};
  const source = new EventSource(`alerts/stream?${query({ ...resume, ...(token ? { token } : {}) })}`);
  stream = source;
  setConnection('connecting', 'connecting…');
  source.onopen = () => setConnection('live', 'live');
  source.addEventListener('alert', (event) => {
    const alert = JSON.parse(event.data);
    // An alert already on screen comes again when someone reviews it: update its row in place.
    if (showAlert(alert, { live: true })) countLive(alert);
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      setConnection('offline', 'offline · retrying');
      reconnectTimer = setTimeout(connect, 5000);
    } else {
      setConnection('reconnecting', 'reconnecting…');
    }
  };
}

// --- chart and totals -----------------------------------------------------------------------

function countLive(alert) {
  const minute = new Date(Math.floor(Date.parse(alert.detectedAt) / 60_000) * 60_000).toISOString();
  const bucket = perMinute.find((entry) => entry.minute === minute);
  if (bucket) {
    bucket.count += 1;
    drawChart();
  }
}

function drawChart() {
  const canvas = $('rate-chart');
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  ctx.scale(ratio, ratio);
  ctx.clearRect(0, 0, width, height);
  const styles = getComputedStyle(document.documentElement);
  const muted = styles.getPropertyValue('--muted').trim();
  const line = styles.getPropertyValue('--line').trim();
  const accent = styles.getPropertyValue('--accent').trim();
  const left = 34;
  const bottom = height - 16;
  const top = 6;
  const max = Math.max(1, ...perMinute.map((entry) => entry.count));
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const niceMax = max <= 4 ? 4 : Math.ceil(max / magnitude) * magnitude + (Math.ceil(max / magnitude) % 2) * magnitude;
  ctx.font = '10px system-ui, sans-serif';
  ctx.fillStyle = muted;
  ctx.strokeStyle = line;
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const fraction of [0, 0.5, 1]) {
    const y = Math.round(bottom - (bottom - top) * fraction) + 0.5;
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(width, y);
    ctx.stroke();
    ctx.fillText(numberFormat.format(Math.round(niceMax * fraction)), left - 6, y);
  }
  const slot = (width - left) / Math.max(1, perMinute.length);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  perMinute.forEach((entry, index) => {
    const barHeight = ((bottom - top) * entry.count) / niceMax;
    const x = left + index * slot;
    ctx.fillStyle = index === perMinute.length - 1 ? accent : `${accent}aa`;
    ctx.fillRect(x + 1, bottom - barHeight, Math.max(1, slot - 2), barHeight);
    const minutesAgo = perMinute.length - 1 - index;
    if (minutesAgo % 10 === 0) {
      ctx.fillStyle = muted;
      ctx.fillText(minutesAgo === 0 ? 'now' : `-${minutesAgo}m`, x + slot / 2, bottom + 3);
    }
  });
  const latest = perMinute.at(-1)?.count ?? 0;
  const hour = perMinute.reduce((sum, entry) => sum + entry.count, 0);
  $('rate-now').textContent = `${numberFormat.format(latest)} this minute · ${numberFormat.format(hour)} in the last hour`;
}

async function refreshStats() {
  try {
    const stats = await getJson(`stats`);
    perMinute = stats.alertsPerMinute;
    $('total-all').textContent = numberFormat.format(stats.totals.all);
    $('total-open').textContent = numberFormat.format(stats.totals.open);
    $('total-fraud').textContent = numberFormat.format(stats.totals.fraud);
    $('total-legit').textContent = numberFormat.format(stats.totals.legit);
    $('precision').textContent = stats.precision === null ? '–' : `${(stats.precision * 100).toFixed(1)}%`;
    $('models').textContent = stats.modelVersions.map((model) => model.modelVersion).join(', ') || '–';
    $('models').title = stats.modelVersions.map((m) => `${m.modelVersion}: ${m.alerts} alerts in 24 h`).join('\n');
    drawChart();
  } catch (err) {
    toast(`Could not load stats: ${err.message}`);
  }
}

// --- list and filters -----------------------------------------------------------------------

async function loadPage() {
  const page = await getJson(`alerts?${query({ limit: String(PAGE_SIZE), ...(nextCursor ? { cursor: nextCursor } : {}) })}`);
  for (const alert of page.items) showAlert(alert, { live: false });
  nextCursor = page.nextCursor;
  $('load-more').hidden = nextCursor === null;
  $('empty').hidden = rows.rows.length > 0;
}

async function reload() {
  stream?.close();
  rows.replaceChildren();
  byId.clear();
  nextCursor = null;
  lastSequence = 0;
  try {
    // Stream first, then the page: an alert stored in between arrives on the stream or is on the
    // page (or both: rows are keyed by alert id), never neither.
    await getJson('alerts?limit=1');
    connect();
    await loadPage();
  } catch (err) {
    setConnection('offline', 'offline');
    toast(err.message);
  }
  const active = Object.entries(filters).filter(([, value]) => value !== '');
  $('filter-summary').textContent = active.length ? `Filtered by ${active.map(([key, value]) => `${key}=${value}`).join(', ')}` : '';
}

$('filters').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  filters = Object.fromEntries([...form.entries()].map(([key, value]) => [key, String(value).trim()]));
  const params = query();
  history.replaceState(null, '', params ? `?${params}` : location.pathname);
  void reload();
});

$('clear-filters').addEventListener('click', () => {
  $('filters').reset();
  $('filters').requestSubmit();
});

$('load-more').addEventListener('click', () => {
  loadPage().catch((err) => toast(err.message));
});

window.addEventListener('resize', drawChart);

const initial = new URLSearchParams(location.search);
for (const field of ['cardId', 'terminalId', 'status', 'minScore']) {
  if (initial.has(field)) $('filters').elements[field].value = initial.get(field);
}
filters = Object.fromEntries([...new FormData($('filters')).entries()].map(([key, value]) => [key, String(value).trim()]));
void reload();
void refreshStats();
setInterval(() => void refreshStats(), STATS_EVERY_MS);
