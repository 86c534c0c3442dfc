// @ts-check
/** The alerts table: one row per alert, newest first, with the Fraud/Legit verdict buttons. */

import { describeFeedback, describePayment, describeReason, describeTime, formatAmount, scoreClass, shownReasons, timeTitle } from './format.js';

/** @import { Alert, FeedbackLabel } from './types.js' */
/** @import { PaymentDetails, WordedReason } from './format.js' */

/** @typedef {'cardId' | 'terminalId'} LinkField a filter that a click on a row's value sets */

/** Live rows beyond this are dropped from the bottom; "Load older alerts" brings pages back. */
const MAX_ROWS = 500;

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {{ class?: string, text?: string, title?: string, dataset?: Record<string, string>, style?: Partial<CSSStyleDeclaration>, attributes?: Record<string, string> }} [props]
 * @param {(Node | string)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text) node.textContent = props.text;
  if (props.title) node.title = props.title;
  if (props.dataset) Object.assign(node.dataset, props.dataset);
  // Through the CSSOM: the Content-Security-Policy refuses inline style attributes.
  if (props.style) Object.assign(node.style, props.style);
  for (const [name, value] of Object.entries(props.attributes ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

/**
 * The payment's own time (the detection's in the tooltip), with its date under it when it is not today.
 * @param {string} paidAt
 * @param {string} detectedAt
 */
function timeCell(paidAt, detectedAt) {
  const { date, time } = describeTime(paidAt, new Date());
  return el('td', { class: 'time', title: timeTitle(paidAt, detectedAt) }, [time, ...(date ? [el('span', { class: 'sub date', text: date })] : [])]);
}

/**
 * A cell's value with a muted second line under it, when there is one.
 * @param {string} className
 * @param {(Node | string)[]} value
 * @param {string | null} second
 * @param {string} [title] the second line's
 */
function twoLineCell(className, value, second, title) {
  return el('td', { class: className }, [...value, ...(second ? [el('span', { class: 'sub', text: second, ...(title ? { title } : {}) })] : [])]);
}

/**
 * The rules that fired (first: they decided), then the model's reasons that raised the score, as the
 * detector chose and ordered them, one a line, each with how much it raised the score.
 * @param {Alert} alert
 */
function reasonsCell(alert) {
  const hits = alert.ruleHits.map((hit) =>
    el('li', { class: `reason rule-hit ${hit.action}`, title: `rule ${hit.ruleId}, version ${hit.version}: ${hit.action}` }, [
      el('span', { class: 'size', text: 'rule' }),
      el('span', { class: 'words' }, [el('b', { text: hit.name }), ' ', el('i', { text: hit.action })]),
    ]),
  );
  const reasons = shownReasons(/** @type {WordedReason[]} */ (alert.reasons)).map((reason) => {
    const { label, text, typical, size, title } = describeReason(reason);
    return el('li', { class: 'reason', title }, [
      el('span', { class: 'size', text: size }),
      el('span', { class: 'words' }, label ? [el('b', { text: label }), ' ', el('i', { text })] : [text, ...(typical ? [' ', el('span', { class: 'typical', text: typical })] : [])]),
    ]);
  });
  return el('td', { class: 'reasons-cell' }, [el('ul', { class: 'reasons' }, [...hits, ...reasons])]);
}

/** @param {Alert} alert */
function scoreCell(alert) {
  const level = scoreClass(alert.score);
  return el('td', {}, [
    el('div', { class: 'score-cell', title: `threshold ${alert.threshold} · model ${alert.modelVersion}` }, [
      el('div', { class: 'score-bar' }, [el('span', { class: level, style: { width: `${Math.round(alert.score * 100)}%` } })]),
      el('span', { class: level, text: alert.score.toFixed(3) }),
    ]),
  ]);
}

/** @param {FeedbackLabel} label @param {string} text */
const verdictButton = (label, text) => el('button', { class: `mark-${label}`, text, attributes: { type: 'button', 'data-label': label } });

/**
 * Each verdict button enabled unless the alert already has that status.
 * @param {HTMLTableRowElement} row
 */
function enableVerdicts(row) {
  for (const button of row.querySelectorAll('button')) button.disabled = row.dataset['status'] === button.dataset['label'];
}

/**
 * @param {Alert} alert
 * @param {(field: LinkField, value: string) => void} onFilter
 */
function renderRow(alert, onFilter) {
  // The server's alerts carry the whole payment (DecodedTransaction); types.js names only part of it.
  const tx = /** @type {Alert['transaction'] & PaymentDetails} */ (alert.transaction);
  const payment = describePayment(tx);
  /** @param {LinkField} field @param {string} value */
  const filterLink = (field, value) => {
    const link = el('a', { title: `Only ${value}`, text: value, attributes: { href: '#' } });
    link.addEventListener('click', (event) => {
      event.preventDefault();
      onFilter(field, value);
    });
    return link;
  };
  const row = el('tr', { dataset: { alertId: alert.alertId, status: alert.status, sequence: String(alert.sequence) } }, [
    timeCell(tx.timestamp ?? alert.detectedAt, alert.detectedAt),
    twoLineCell('card', [filterLink('cardId', tx.cardId)], payment.pan, 'card number, masked'),
    twoLineCell('num', [formatAmount(tx.amount), el('span', { class: 'currency', text: tx.currency })], payment.channel, tx.channel ? `channel ${tx.channel}` : undefined),
    twoLineCell('terminal', [filterLink('terminalId', tx.terminalId)], payment.category, payment.categoryTitle ?? undefined),
    scoreCell(alert),
    reasonsCell(alert),
    el('td', { class: 'status' }, [
      el('span', { class: `badge ${alert.status}`, text: alert.status }),
      ...(alert.decision === 'block' ? [el('span', { class: 'badge block', text: 'block', title: 'a block rule fired: the payment was declined' })] : []),
    ]),
    el('td', { class: 'actions' }, [el('div', { class: 'verdict' }, [verdictButton('fraud', 'Fraud'), verdictButton('legit', 'Legit')])]),
  ]);
  if (alert.feedback) row.title = describeFeedback(alert.feedback);
  enableVerdicts(row);
  return row;
}

/**
 * @param {{
 *   body: HTMLTableSectionElement,
 *   empty: HTMLElement,
 *   onFilter: (field: LinkField, value: string) => void,
 *   onVerdict: (alertId: string, label: FeedbackLabel) => Promise<boolean>,
 * }} options `onVerdict` resolves to whether the verdict was recorded (its row then comes again, reviewed)
 */
export function createAlertTable({ body, empty, onFilter, onVerdict }) {
  /** @type {Map<string, HTMLTableRowElement>} */
  const rowsById = new Map();

  body.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button[data-label]') : null;
    const row = button?.closest('tr');
    const label = button instanceof HTMLButtonElement ? button.dataset['label'] : undefined;
    const alertId = row?.dataset['alertId'];
    if (!row || !alertId || (label !== 'fraud' && label !== 'legit')) return;
    for (const other of row.querySelectorAll('button')) other.disabled = true;
    void onVerdict(alertId, label).then((recorded) => {
      if (!recorded) enableVerdicts(row);
    });
  });

  const refreshEmpty = () => {
    empty.hidden = body.rows.length > 0;
  };

  return {
    /**
     * Adds or updates the alert's row: a live one goes on top, a page's at the bottom.
     * @param {Alert} alert
     * @param {{ live: boolean }} where
     * @returns {boolean} whether the alert was new to the table
     */
    show(alert, { live }) {
      const existing = rowsById.get(alert.alertId);
      const row = renderRow(alert, onFilter);
      if (existing) {
        existing.replaceWith(row);
      } else if (live) {
        row.classList.add('fresh');
        body.prepend(row);
        while (body.rows.length > MAX_ROWS) {
          const last = body.rows[body.rows.length - 1];
          if (last?.dataset['alertId']) rowsById.delete(last.dataset['alertId']);
          last?.remove();
        }
      } else {
        body.append(row);
      }
      rowsById.set(alert.alertId, row);
      refreshEmpty();
      return !existing;
    },

    clear() {
      body.replaceChildren();
      rowsById.clear();
    },

    /** Shows "no alerts match" when the table is empty: after a page, which may have had no rows. */
    refreshEmpty,
  };
}

/** @typedef {ReturnType<typeof createAlertTable>} AlertTable */
