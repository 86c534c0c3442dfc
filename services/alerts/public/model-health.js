// @ts-check
/**
 * The Model health page: how good the champion (and the challenger, when one runs) has been day by
 * day, how far the payments' features and scores have drifted from the model's training data, how
 * well each active rule's matches turned out, and why figures may be missing. Everything comes from
 * GET /model-health?days=N, read again every 30 s while the tab is visible.
 */

import { HttpError } from './api.js';
import { formatCount } from './format.js';
import { createQualityChart, createScoreChart } from './model-health-charts.js';
import {
  DAY_CHOICES,
  EMPTY_TEXT,
  RULES_EMPTY_TEXT,
  countsTitle,
  dayRows,
  daysFrom,
  driftSummary,
  formatPsi,
  formatRatio,
  formatUtc,
  nameParts,
  paymentsOf,
  provisionalNote,
  psiBars,
  qualityFrame,
  ruleRows,
  ruleTitles,
  stackScaleLabels,
  thresholdsText,
  versionChanges,
  versionsOf,
} from './model-health-format.js';
import { createPageApi, createToast, el, element, messageOf } from './page.js';
import { createRefreshTimer } from './refresh-timer.js';

/** @import { DayRow, RuleRow } from './model-health-format.js' */
/** @import { DriftStatus, ModelHealth } from './types.js' */

const REFRESH_MS = 30_000;

const page = {
  controls: element('controls', HTMLFormElement),
  refreshStatus: element('refresh-status', HTMLElement),
  watermark: element('watermark', HTMLElement),
  labelDelay: element('label-delay', HTMLElement),
  payments: element('payments', HTMLElement),
  scorePsiTotal: element('score-psi-total', HTMLElement),
  problems: element('problems', HTMLElement),
  problemList: element('problem-list', HTMLUListElement),
  empty: element('health-empty', HTMLElement),
  content: element('health-content', HTMLElement),
  challengerVs: element('challenger-vs', HTMLElement),
  championVersions: element('champion-versions', HTMLElement),
  challengerLegend: element('challenger-legend', HTMLElement),
  challengerVersions: element('challenger-versions', HTMLElement),
  provisionalNote: element('provisional-note', HTMLElement),
  versionLegend: element('version-legend', HTMLElement),
  thresholds: element('thresholds', HTMLElement),
  driftSummary: element('drift-summary', HTMLElement),
  psiScale: element('psi-scale', HTMLElement),
  featureRows: element('feature-rows', HTMLTableSectionElement),
  featuresEmpty: element('features-empty', HTMLElement),
  scorePsi: element('score-psi', HTMLElement),
  rulesTable: element('rules-table', HTMLTableElement),
  rulesNote: element('rules-note', HTMLElement),
  ruleRows: element('rule-rows', HTMLTableSectionElement),
  rulesEmpty: element('rules-empty', HTMLElement),
  dayRows: element('day-rows', HTMLTableSectionElement),
  toast: element('toast', HTMLElement),
};

const toast = createToast(page.toast);
// A cancelled read token dialog stops the timer asking until the analyst presses Refresh.
const { api, readDeclined, clearDeclined } = createPageApi({ sayRefused: false });

const charts = {
  precision: createQualityChart({ container: element('precision-chart', HTMLElement), readout: element('precision-readout', HTMLElement), metric: 'precision' }),
  recall: createQualityChart({ container: element('recall-chart', HTMLElement), readout: element('recall-readout', HTMLElement), metric: 'recall' }),
  cardPrecisionAt100: createQualityChart({ container: element('cp100-chart', HTMLElement), readout: element('cp100-readout', HTMLElement), metric: 'cardPrecisionAt100' }),
};
const scoreChart = createScoreChart({ container: element('score-chart', HTMLElement), readout: element('score-readout', HTMLElement) });

/** @param {DriftStatus} status */
const statusBadge = (status) => el('span', { class: `badge drift-${status}` }, [status]);

const state = {
  days: daysFrom(location.search),
  /** @type {Date | null} */
  updatedAt: null,
  /** Answers to an older request (the days changed meanwhile) are dropped. */
  request: 0,
  /** @type {string | null} why the last read failed; null when it did not */
  failure: null,
  problemsText: '',
  /** @type {{ marks: { warn: number, alert: number }, labels: { warn: string, alert: string } } | null} the PSI scale's labels, laid out again when its width changes */
  scale: null,
};

const refreshTimer = createRefreshTimer({ everyMs: REFRESH_MS, status: page.refreshStatus, lastRead: state, readDeclined, refresh });

/** Puts the threshold labels on two rows when they would collide on one. */
function layoutScale() {
  if (state.scale === null) return;
  page.psiScale.classList.toggle('stacked', stackScaleLabels(state.scale.marks, state.scale.labels, page.psiScale.clientWidth));
}
new ResizeObserver(layoutScale).observe(page.psiScale);

/** @param {string[]} problems */
function showProblems(problems) {
  // Replaced only when they change, so that a screen reader is not told them again every 30 s.
  const text = problems.join('\n');
  if (text === state.problemsText) return;
  state.problemsText = text;
  page.problemList.replaceChildren(...problems.map((problem) => el('li', {}, [problem])));
  page.problems.hidden = problems.length === 0;
}

/** @param {ModelHealth} health */
function showQuality(health) {
  const frame = qualityFrame(health);
  const changes = { champion: versionChanges(health.days), challenger: versionChanges(health.challenger ?? []) };
  for (const chart of Object.values(charts)) chart.update(frame, changes);
  page.championVersions.textContent = versionsOf(health.days).join(' → ');
  page.challengerVersions.textContent = versionsOf(health.challenger ?? []).join(' → ');
  page.challengerLegend.hidden = health.challenger === null;
  page.challengerVs.hidden = health.challenger === null;
  page.provisionalNote.textContent = provisionalNote(health.labelDelayDays);
  page.versionLegend.hidden = changes.champion.length + changes.challenger.length === 0;
}

/** @param {ModelHealth} health */
function showFeatures(health) {
  const bars = psiBars(health.features, health.drift.thresholds);
  page.thresholds.textContent = thresholdsText(health.drift.thresholds);
  page.driftSummary.textContent = driftSummary(health.drift);
  /** @param {'warn' | 'alert'} level */
  const mark = (level) => {
    const node = el('span', { class: `psi-mark ${level}`, title: `${level} at PSI ${health.drift.thresholds[level]}` });
    node.style.left = `${bars.marks[level] * 100}%`;
    return node;
  };
  const labels = { warn: String(health.drift.thresholds.warn), alert: String(health.drift.thresholds.alert) };
  const scaleLabel = (/** @type {'warn' | 'alert'} */ level) => {
    const node = el('span', { class: `psi-scale-label ${level}` }, [labels[level]]);
    node.style.left = `${bars.marks[level] * 100}%`;
    return node;
  };
  page.psiScale.replaceChildren(scaleLabel('warn'), scaleLabel('alert'));
  state.scale = { marks: bars.marks, labels };
  layoutScale();
  page.featureRows.replaceChildren(
    ...bars.rows.map((row) => {
      const fill = el('span', { class: row.broken ? 'psi-fill broken' : 'psi-fill' });
      fill.style.width = `${row.share * 100}%`;
      const name = el('th', { scope: 'row', class: 'feature' });
      nameParts(row.name).forEach((part, index) => name.append(...(index > 0 ? [document.createElement('wbr')] : []), part));
      return el('tr', { 'data-status': row.status }, [
        name,
        el('td', { class: 'bar', 'aria-hidden': 'true', ...(row.broken ? { title: `PSI ${row.text}: past the scale's end (${formatPsi(bars.max)})` } : {}) }, [
          el('div', { class: 'psi-track' }, [fill, mark('warn'), mark('alert')]),
        ]),
        el('td', { class: 'num' }, [row.text]),
        el('td', {}, [statusBadge(row.status)]),
      ]);
    }),
  );
  page.featuresEmpty.hidden = bars.rows.length > 0;
}

/** @param {ModelHealth} health */
function showScore(health) {
  page.scorePsi.textContent = `PSI ${formatPsi(health.score.psi)} · ${health.score.status}`;
  page.scorePsi.className = `badge drift-${health.score.status}`;
  page.scorePsiTotal.textContent = formatPsi(health.score.psi);
  page.scorePsiTotal.className = `drift-text-${health.score.status}`;
  scoreChart.update(health.score.histogram);
}

/** A rule's hits per day as bars, each as a share of its busiest day; the provisional days' bars lighter. @param {RuleRow} row */
function sparkline(row) {
  const most = Math.max(1, ...row.perDay.map((bar) => bar.hits));
  const bars = row.perDay.map((bar) => {
    const node = el('span', { class: bar.mature === false ? 'spark-bar provisional' : 'spark-bar', title: `${bar.day}: ${formatCount(bar.hits)} hits${bar.mature === false ? ' (provisional)' : ''}` });
    node.style.height = bar.hits === 0 ? '0' : `max(1px, ${(bar.hits / most) * 100}%)`;
    return node;
  });
  return el('span', { class: 'spark', role: 'img', 'aria-label': ruleTitles(row).perDay }, bars);
}

/** @param {RuleRow} row */
function ruleRow(row) {
  const titles = ruleTitles(row);
  const all = el('td', { class: 'num', title: titles.precision, 'data-provisional': String(row.provisional) }, [formatRatio(row.precision)]);
  if (row.provisional) all.append(el('span', { class: 'tag provisional' }, ['provisional']));
  return el('tr', { 'data-rule': row.ruleId, 'data-provisional': String(row.provisional) }, [
    el('th', { scope: 'row', class: 'rule-id' }, [row.ruleId]),
    el('td', { class: 'num' }, [formatCount(row.hits)]),
    el('td', { class: 'num' }, [formatCount(row.truePositives)]),
    el('td', { class: 'num', title: titles.maturePrecision }, [formatRatio(row.maturePrecision)]),
    all,
    el('td', { class: 'spark-cell' }, [sparkline(row)]),
  ]);
}

/** @param {ModelHealth} health */
function showRules(health) {
  const rows = ruleRows(health);
  page.ruleRows.replaceChildren(...rows.map(ruleRow));
  page.rulesEmpty.textContent = RULES_EMPTY_TEXT;
  page.rulesEmpty.hidden = rows.length > 0;
  page.rulesTable.hidden = rows.length === 0;
  page.rulesNote.hidden = rows.length === 0;
}

/** @param {DayRow} row */
function dayRow(row) {
  const titles = countsTitle(row);
  const version = el('td', { class: 'version', title: row.modelVersion }, [el('span', { class: 'version-name' }, [row.modelVersion])]);
  if (row.role === 'challenger') version.prepend(el('span', { class: 'role' }, ['challenger']));
  return el('tr', { 'data-role': row.role, 'data-mature': String(row.mature) }, [
    el('td', { class: 'day' }, [row.day]),
    version,
    el('td', { class: 'num' }, [formatCount(row.payments)]),
    el('td', { class: 'num' }, [formatCount(row.alerts)]),
    el('td', { class: 'num' }, [formatCount(row.frauds)]),
    el('td', { class: 'num', title: titles.precision }, [formatRatio(row.precision)]),
    el('td', { class: 'num', title: titles.recall }, [formatRatio(row.recall)]),
    el('td', { class: 'num' }, [formatRatio(row.cardPrecisionAt100)]),
    el('td', {}, [el('span', { class: `badge ${row.mature ? 'mature' : 'provisional'}` }, [row.mature ? 'mature' : 'provisional'])]),
  ]);
}

/** @param {ModelHealth} health */
function show(health) {
  page.watermark.textContent = formatUtc(health.watermark);
  page.labelDelay.textContent = `${health.labelDelayDays} d`;
  page.payments.textContent = formatCount(paymentsOf(health));
  showProblems(health.problems);
  const empty = health.days.length === 0;
  page.empty.hidden = !empty;
  page.empty.textContent = health.watermark === null ? EMPTY_TEXT : `No scored payments in the last ${state.days} days before the watermark (${formatUtc(health.watermark)}).`;
  page.content.hidden = empty;
  if (empty) return;
  showQuality(health);
  showFeatures(health);
  showScore(health);
  showRules(health);
  page.dayRows.replaceChildren(...dayRows(health).map(dayRow));
}

/** @param {unknown} err */
function showFailure(err) {
  state.failure = messageOf(err);
  if (err instanceof HttpError && err.status === 404) {
    // The service serves /model-health only when it has a payments store.
    page.empty.textContent = 'This alerts service does not serve model health: it runs without the payments store.';
    page.empty.hidden = false;
    page.content.hidden = true;
    return;
  }
  toast(readDeclined() ? 'Model health needs the read token: press Refresh to enter it.' : `Could not load model health: ${state.failure}`);
}

async function refresh() {
  refreshTimer.stop();
  const request = ++state.request;
  try {
    const health = await api.modelHealth(state.days);
    if (request !== state.request) return;
    state.updatedAt = new Date();
    state.failure = null;
    show(health);
  } catch (err) {
    if (request !== state.request) return;
    showFailure(err);
  }
  refreshTimer.schedule();
}

/** The days radio buttons, checked as state.days says. */
function checkDays() {
  for (const input of page.controls.querySelectorAll('input[name="days"]')) {
    if (input instanceof HTMLInputElement) input.checked = Number(input.value) === state.days;
  }
}

page.controls.addEventListener('change', () => {
  const days = Number(new FormData(page.controls).get('days'));
  state.days = DAY_CHOICES.find((choice) => choice === days) ?? state.days;
  const params = new URLSearchParams(location.search);
  params.set('days', String(state.days));
  history.replaceState(null, '', `?${params}`);
  clearDeclined();
  void refresh();
});

page.controls.addEventListener('submit', (event) => {
  event.preventDefault();
  clearDeclined();
  void refresh();
});

checkDays();
refreshTimer.showStatus();
void refresh();
