// @ts-check
/**
 * The Rules page: every rule with its mode, action and hits in the last hour and day (GET /rules and
 * GET /rule-hits), a form to create and edit one (PUT /rules/{id}, the server's validation message under
 * the field, with the expression's line and column), a mode switch per row and a delete. Everything
 * here needs the admin token; it is asked for in the page's dialog and kept in the tab's sessionStorage.
 */

import { describeHits, formatCount } from './format.js';
import { createToast, el, element } from './page.js';

/** @import { Rule, RuleHitTotals, RuleHitWindow } from './types.js' */

const TOKEN_KEY = 'fraudstream.alerts.adminToken';
const REFRESH_MS = 15_000;

const page = {
  rows: element('rule-rows', HTMLTableSectionElement),
  empty: element('rules-empty', HTMLElement),
  count: element('rule-count', HTMLElement),
  paymentsHour: element('payments-hour', HTMLElement),
  paymentsDay: element('payments-day', HTMLElement),
  form: element('rule-form', HTMLFormElement),
  formTitle: element('form-title', HTMLElement),
  formStatus: element('form-status', HTMLElement),
  expressionError: element('expression-error', HTMLElement),
  newRule: element('new-rule', HTMLButtonElement),
  toast: element('toast', HTMLElement),
  dialog: element('token-dialog', HTMLDialogElement),
  tokenInput: element('token-input', HTMLInputElement),
  tokenHelp: element('token-help', HTMLElement),
};
const tokenHelpText = page.tokenHelp.textContent ?? '';

/** @type {{ rules: Rule[], editing: Rule | null }} */
const state = { rules: [], editing: null };
const toast = createToast(page.toast);

/** @param {string | null} refusal why the last token did not do, or null the first time @returns {Promise<string | null>} */
function askToken(refusal) {
  page.tokenHelp.textContent = refusal ? `${refusal} ${tokenHelpText}` : tokenHelpText;
  page.tokenInput.value = '';
  page.dialog.showModal();
  return new Promise((resolve) => {
    page.dialog.addEventListener('close', () => resolve((page.dialog.returnValue === 'ok' && page.tokenInput.value.trim()) || null), { once: true });
  });
}

/**
 * Calls the admin API; a missing or refused token is asked for (and the call made again) until the
 * analyst cancels, which answers null.
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<Response | null>}
 */
async function adminFetch(path, init = {}) {
  let token = sessionStorage.getItem(TOKEN_KEY);
  /** @type {string | null} */
  let refusal = null;
  for (;;) {
    if (!token) {
      token = await askToken(refusal);
      if (!token) return null;
      sessionStorage.setItem(TOKEN_KEY, token);
    }
    const response = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` } });
    if (response.status !== 401 && response.status !== 403) return response;
    sessionStorage.removeItem(TOKEN_KEY);
    token = null;
    refusal = response.status === 403 ? 'That token is not the admin token.' : 'That token was refused.';
  }
}

/** @param {Response} response */
async function errorOf(response) {
  const body = await response.json().catch(() => ({}));
  return /** @type {{ message?: string, field?: string, position?: { line: number, column: number } }} */ (body);
}

/** @param {RuleHitWindow | undefined} window */
function hitsCell(window) {
  const cell = el('td', { class: 'num hits' }, [describeHits(window)]);
  if (window && window.errors > 0) cell.classList.add('rule-errors');
  return cell;
}

/**
 * @param {Rule} rule
 * @param {RuleHitTotals['rules'][number] | undefined} hits
 * @param {boolean} counting whether the detectors counted payments in the window (a rule they evaluated without a hit has 0)
 */
function ruleRow(rule, hits, counting) {
  const none = counting && rule.mode !== 'disabled' ? { hits: 0, errors: 0 } : undefined;
  const mode = /** @type {HTMLSelectElement} */ (el('select', { 'aria-label': `Mode of ${rule.id}` }, ['active', 'shadow', 'disabled'].map((m) => el('option', { value: m }, [m]))));
  mode.value = rule.mode;
  mode.addEventListener('change', () => void save(rule.id, { ...definitionOf(rule), mode: /** @type {Rule['mode']} */ (mode.value) }, rule.version).then((ok) => ok || (mode.value = rule.mode)));
  const edit = el('button', { type: 'button', class: 'secondary' }, ['Edit']);
  edit.addEventListener('click', () => startEditing(rule));
  const remove = el('button', { type: 'button', class: 'secondary danger' }, ['Delete']);
  remove.addEventListener('click', () => void removeRule(rule));
  const row = el('tr', { 'data-rule-id': rule.id, 'data-mode': rule.mode }, [
    el('td', {}, [el('div', { class: 'rule-name' }, [rule.name]), el('div', { class: 'rule-id' }, [`${rule.id} · v${rule.version}`])]),
    el('td', {}, [el('span', { class: `badge ${rule.action}` }, [rule.action])]),
    el('td', {}, [mode]),
    hitsCell(hits?.lastHour ?? none),
    hitsCell(hits?.lastDay ?? none),
    el('td', { class: 'expression', title: rule.description ?? '' }, [el('code', {}, [rule.expression])]),
    el('td', { class: 'changed', title: rule.updatedAt }, [`${new Date(rule.updatedAt).toLocaleString()} · ${rule.updatedBy}`]),
    el('td', { class: 'actions' }, [el('div', { class: 'buttons' }, [edit, remove])]),
  ]);
  return row;
}

/** @param {Rule} rule */
const definitionOf = (rule) => ({ name: rule.name, expression: rule.expression, action: rule.action, mode: rule.mode, ...(rule.description ? { description: rule.description } : {}) });

async function refresh() {
  const [rulesResponse, hitsResponse] = [await adminFetch('rules'), await adminFetch('rule-hits')];
  if (!rulesResponse) {
    page.empty.hidden = false;
    page.empty.textContent = 'The rules need the admin token: reload the page to enter it.';
    return;
  }
  if (!rulesResponse.ok) {
    toast(`Could not load the rules: ${(await errorOf(rulesResponse)).message ?? rulesResponse.status}`);
    return;
  }
  state.rules = /** @type {{ rules: Rule[] }} */ (await rulesResponse.json()).rules;
  /** @type {RuleHitTotals | null} */
  const totals = hitsResponse?.ok ? await hitsResponse.json() : null;
  if (hitsResponse && !hitsResponse.ok) toast(`Could not load the hits: ${(await errorOf(hitsResponse)).message ?? hitsResponse.status}`);
  const hitsOf = new Map((totals?.rules ?? []).map((entry) => [entry.ruleId, entry]));
  page.rows.replaceChildren(...state.rules.map((rule) => ruleRow(rule, hitsOf.get(rule.id), (totals?.payments.lastDay ?? 0) > 0)));
  page.empty.hidden = state.rules.length > 0;
  page.count.textContent = formatCount(state.rules.length);
  page.paymentsHour.textContent = totals ? formatCount(totals.payments.lastHour) : '–';
  page.paymentsDay.textContent = totals ? formatCount(totals.payments.lastDay) : '–';
}

/** @param {Rule} rule */
function startEditing(rule) {
  state.editing = rule;
  const fields = page.form.elements;
  for (const [name, value] of Object.entries({ id: rule.id, name: rule.name, expression: rule.expression, action: rule.action, mode: rule.mode, description: rule.description ?? '' })) {
    const field = fields.namedItem(name);
    if (field instanceof HTMLInputElement || field instanceof HTMLTextAreaElement || field instanceof HTMLSelectElement) field.value = value;
  }
  const id = fields.namedItem('id');
  if (id instanceof HTMLInputElement) id.readOnly = true;
  page.formTitle.textContent = `Edit ${rule.id} (v${rule.version})`;
  showFieldError(null);
  page.form.scrollIntoView({ block: 'nearest' });
}

function startNew() {
  state.editing = null;
  page.form.reset();
  const id = page.form.elements.namedItem('id');
  if (id instanceof HTMLInputElement) id.readOnly = false;
  page.formTitle.textContent = 'New rule';
  showFieldError(null);
}

/** @param {string | null} message */
function showFieldError(message) {
  page.expressionError.hidden = message === null;
  page.expressionError.textContent = message ?? '';
  page.formStatus.textContent = '';
}

/**
 * PUTs a rule; If-Match the version it was read at, so a change made meanwhile is not overwritten.
 * @param {string} id
 * @param {ReturnType<typeof definitionOf>} definition
 * @param {number | undefined} version
 * @returns {Promise<boolean>}
 */
async function save(id, definition, version) {
  const response = await adminFetch(`rules/${encodeURIComponent(id)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(version !== undefined ? { 'if-match': `"${version}"` } : {}) },
    body: JSON.stringify(definition),
  });
  if (!response) return false;
  if (!response.ok) {
    const error = await errorOf(response);
    const where = error.position ? ` (line ${error.position.line}, column ${error.position.column})` : '';
    const field = error.field ? `${error.field}: ` : '';
    const message = `${field}${error.message ?? `HTTP ${response.status}`}${where}`;
    if (response.status === 400) showFieldError(message);
    else toast(response.status === 412 ? `Someone changed ${id} meanwhile: reload and try again (${message})` : `Could not save ${id}: ${message}`);
    return false;
  }
  const saved = /** @type {Rule} */ (await response.json());
  toast(`${response.status === 201 ? 'Created' : 'Saved'} ${saved.id} v${saved.version} (${saved.mode}); the detectors apply it within a batch`, true);
  await refresh();
  return true;
}

/** @param {Rule} rule */
async function removeRule(rule) {
  if (!confirm(`Delete the rule ${rule.id}? The detectors stop applying it.`)) return;
  const response = await adminFetch(`rules/${encodeURIComponent(rule.id)}`, { method: 'DELETE' });
  if (!response) return;
  if (!response.ok && response.status !== 404) toast(`Could not delete ${rule.id}: ${(await errorOf(response)).message ?? response.status}`);
  else toast(`Deleted ${rule.id}`, true);
  if (state.editing?.id === rule.id) startNew();
  await refresh();
}

page.form.addEventListener('submit', (event) => {
  event.preventDefault();
  const data = new FormData(page.form);
  const text = (/** @type {string} */ name) => String(data.get(name) ?? '').trim();
  const id = text('id');
  if (!id) {
    showFieldError('id: must not be empty');
    return;
  }
  const description = text('description');
  const definition = {
    name: text('name'),
    expression: String(data.get('expression') ?? ''),
    action: /** @type {Rule['action']} */ (text('action')),
    mode: /** @type {Rule['mode']} */ (text('mode')),
    ...(description ? { description } : {}),
  };
  const editing = state.editing?.id === id ? state.editing : null;
  void save(id, definition, editing?.version).then((ok) => {
    if (ok) startNew();
  });
});

page.newRule.addEventListener('click', startNew);
void refresh();
// The periodic refresh never opens the token dialog by itself (a cancelled one stays closed).
setInterval(() => void (sessionStorage.getItem(TOKEN_KEY) && refresh()), REFRESH_MS);
