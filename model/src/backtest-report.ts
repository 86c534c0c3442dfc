import { ruleTotals, type BacktestResult } from './backtest.js';
import { escapeHtml, reportStyle, scriptJson } from './html.js';

/**
 * `backtest --report FILE.html`: one self-contained page (uPlot inlined, no network) with the totals
 * per rule and, per day, each rule's hits and precision and the alerts of the model alone against the
 * model with the rules, with the frauds they catch.
 */

const percent = (value: number | null): string => (value === null ? '–' : `${(value * 100).toFixed(1)} %`);

/** What the page's script charts: one array per series, indexed by day. */
export function reportData(result: BacktestResult) {
  const days = result.days;
  const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);
  return {
    days: days.map((day) => Date.parse(`${day.day}T00:00:00Z`) / 1000),
    payments: days.map((day) => day.payments),
    frauds: days.map((day) => day.frauds),
    modelAlerts: days.map((day) => day.modelAlerts),
    modelFraudAlerts: days.map((day) => day.modelFraudAlerts),
    alerts: days.map((day) => day.alerts),
    fraudAlerts: days.map((day) => day.fraudAlerts),
    rules: result.rules.map((rule) => ({
      id: rule.id,
      hits: days.map((day) => day.rules[rule.id]?.hits ?? 0),
      precision: days.map((day) => ratio(day.rules[rule.id]?.fraudHits ?? 0, day.rules[rule.id]?.hits ?? 0)),
    })),
  };
}

const chartScript = `
const data = JSON.parse(document.getElementById('report-data').textContent);
const palette = ['#5aa9ff', '#e5484d', '#30a46c', '#f5a524', '#b07cff', '#3dd6d0', '#ff7ab8', '#a3a3a3'];
const width = () => Math.min(1100, document.body.clientWidth - 32);
const axes = (label) => [{ stroke: '#8b98a7', grid: { stroke: '#26313d' } }, { stroke: '#8b98a7', grid: { stroke: '#26313d' }, label }];
function chart(id, label, series, y = {}) {
  const element = document.getElementById(id);
  new uPlot({ width: width(), height: 260, axes: axes(label), scales: { x: { time: true }, y },
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: s.color ?? palette[i % palette.length], width: 2, dash: s.dash, points: { show: data.days.length < 60 } }))] },
    [data.days, ...series.map((s) => s.values)], element);
}
chart('chart-alerts', 'payments a day', [
  { label: 'model alone: alerts', values: data.modelAlerts, color: '#8b98a7' },
  { label: 'model alone: frauds caught', values: data.modelFraudAlerts, color: '#8b98a7', dash: [6, 4] },
  { label: 'with the rules: alerts', values: data.alerts, color: '#5aa9ff' },
  { label: 'with the rules: frauds caught', values: data.fraudAlerts, color: '#5aa9ff', dash: [6, 4] },
  { label: 'labelled frauds', values: data.frauds, color: '#e5484d' },
]);
chart('chart-hits', 'hits a day', data.rules.map((rule) => ({ label: rule.id, values: rule.hits })));
chart('chart-precision', 'precision (frauds / hits)', data.rules.map((rule) => ({ label: rule.id, values: rule.precision })), { range: [0, 1] });
`;

export function backtestReport(result: BacktestResult, assets: { js: string; css: string }, generatedAt = new Date()): string {
  const days = result.days;
  const sum = (pick: (day: BacktestResult['days'][number]) => number): number => days.reduce((total, day) => total + pick(day), 0);
  const frauds = sum((day) => day.frauds);
  const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);
  const model = { alerts: sum((day) => day.modelAlerts), frauds: sum((day) => day.modelFraudAlerts) };
  const ruled = { alerts: sum((day) => day.alerts), frauds: sum((day) => day.fraudAlerts) };
  const rows = result.rules
    .map((rule) => {
      const t = ruleTotals(result, rule.id);
      const cells = [
        `<td><b>${escapeHtml(rule.id)}</b> <span class="muted">v${rule.version}</span><div class="muted">${escapeHtml(rule.name)}</div></td>`,
        `<td>${escapeHtml(rule.action)}</td>`,
        `<td><code>${escapeHtml(rule.expression)}</code></td>`,
        ...[t.hits, t.fraudHits].map((n) => `<td class="num">${n}</td>`),
        `<td class="num">${percent(t.hits === 0 ? null : t.precision)}</td>`,
        `<td class="num">${percent(frauds === 0 ? null : t.recall)}</td>`,
        ...[t.modelAlsoAlerted, t.added, t.suppressed, result.failures[rule.id] ?? 0].map((n) => `<td class="num">${n}</td>`),
      ];
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const period = `${days[0]?.day ?? '–'} .. ${days.at(-1)?.day ?? '–'}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fraudstream backtest · ${escapeHtml(period)}</title>
<style>${assets.css}</style>
<style>${reportStyle}</style>
</head>
<body>
<h1>Backtest ${escapeHtml(period)}</h1>
<p class="muted">Model ${escapeHtml(result.modelVersion)} (threshold ${result.threshold}); every rule that is not disabled counted as active. Generated ${generatedAt.toISOString()}.</p>
<table>
<tr><th></th><th>Alerts</th><th>Frauds caught</th><th>Precision</th><th>Recall</th></tr>
<tr><td>Model alone</td><td class="num">${model.alerts}</td><td class="num">${model.frauds}</td><td class="num">${percent(ratio(model.frauds, model.alerts))}</td><td class="num">${percent(ratio(model.frauds, frauds))}</td></tr>
<tr><td>With the rules</td><td class="num">${ruled.alerts}</td><td class="num">${ruled.frauds}</td><td class="num">${percent(ratio(ruled.frauds, ruled.alerts))}</td><td class="num">${percent(ratio(ruled.frauds, frauds))}</td></tr>
</table>
<p class="muted">${sum((day) => day.payments)} payments, ${frauds} labelled frauds.</p>
<h2>Rules</h2>
<table>
<tr><th>Rule</th><th>Action</th><th>Expression</th><th>Hits</th><th>Frauds</th><th>Precision</th><th>Recall</th><th title="Hits the model alerts on too">Overlap</th><th title="block/review hits the model does not alert on">Adds</th><th title="allow hits on payments otherwise alerted">Suppresses</th><th>Errors</th></tr>
${rows}
</table>
<h2>Alerts a day: the model alone and with the rules</h2>
<div id="chart-alerts"></div>
<h2>Hits a day per rule</h2>
<div id="chart-hits"></div>
<h2>Precision a day per rule</h2>
<div id="chart-precision"></div>
<script type="application/json" id="report-data">${scriptJson(reportData(result))}</script>
<script>${assets.js}</script>
<script>${chartScript}</script>
</body>
</html>
`;
}
