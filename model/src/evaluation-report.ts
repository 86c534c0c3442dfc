import { DAY_MS } from '@fraudstream/shared/durations';
import { featureLabel } from '@fraudstream/shared/features/catalogue';
import type { Evaluation } from './evaluation.js';
import { binOf } from './feature-stats.js';
import { escapeHtml, reportStyle, scriptJson } from './html.js';
import { thresholdCurve } from './metrics.js';
import type { ModelMetadata } from './model.js';
import type { AlertsAtThreshold } from './promotion.js';
import type { Dataset } from './replay.js';

/**
 * `evaluate --report FILE.html`: one self-contained page (uPlot inlined) for one model or several on
 * the same days: their figures side by side, ROC and precision–recall curves, card precision@100 per
 * day, score distributions of frauds and legitimate payments, and per feature its values in the window
 * (frauds against the rest) beside its training distribution, with the population stability index.
 */

export interface EvaluatedModel {
  metadata: ModelMetadata;
  scores: Float32Array;
  evaluation: Evaluation;
  alerts: AlertsAtThreshold;
}

export interface ReportInput {
  input: string;
  fromMs: number;
  toMs: number;
  dataset: Dataset;
  /** The rows the protocol keeps (known-compromised cards left out): the curves are drawn over these. */
  rows: Uint32Array;
  models: EvaluatedModel[];
  /** Why the Handbook's published figures are (or are not) shown beside these. */
  handbook: { shown: boolean; note: string };
}

export const HANDBOOK_BEST = { name: 'Handbook: XGBoost tuned by prequential validation', aucRoc: 0.869, averagePrecision: 0.687, cardPrecisionAt100: 0.303 };

const GRID = Array.from({ length: 201 }, (_, index) => index / 200);

/** Each model's curve on one shared x grid (uPlot draws series over one x): the best y reached at or before each x for ROC, at or after for precision–recall (interpolated precision). */
function curvesOnGrid(scores: ArrayLike<number>, labels: ArrayLike<number>): { roc: number[]; pr: (number | null)[] } {
  const points = thresholdCurve(scores, labels);
  const positives = points.at(-1)?.truePositives ?? 0;
  const negatives = points.at(-1)?.falsePositives ?? 0;
  const fpr = points.map((p) => p.falsePositives / Math.max(1, negatives));
  const tpr = points.map((p) => p.truePositives / Math.max(1, positives));
  const precision = points.map((p) => p.truePositives / (p.truePositives + p.falsePositives));
  const roc = GRID.map((x) => {
    let best = 0;
    for (let index = 0; index < points.length && fpr[index]! <= x; index++) best = Math.max(best, tpr[index]!);
    return best;
  });
  const pr = GRID.map((x) => {
    let best: number | null = null;
    for (let index = points.length - 1; index >= 0 && tpr[index]! >= x; index--) best = Math.max(best ?? 0, precision[index]!);
    return best;
  });
  return { roc, pr };
}

const BINS = 40;

/** Share of each class's rows per score bin (null where none: a log axis cannot show 0). */
function scoreDistribution(scores: ArrayLike<number>, labels: ArrayLike<number>): { fraud: (number | null)[]; legit: (number | null)[] } {
  const counts = { fraud: new Array<number>(BINS).fill(0), legit: new Array<number>(BINS).fill(0) };
  let frauds = 0;
  for (let index = 0; index < scores.length; index++) {
    const bin = Math.min(BINS - 1, Math.floor(scores[index]! * BINS));
    if (labels[index] === 1) {
      counts.fraud[bin]!++;
      frauds++;
    } else counts.legit[bin]!++;
  }
  const legit = scores.length - frauds;
  const share = (values: number[], total: number) => values.map((value) => (value === 0 || total === 0 ? null : value / total));
  return { fraud: share(counts.fraud, frauds), legit: share(counts.legit, legit) };
}

/** Population stability index of the window's values against training bins: Σ (a − e)·ln(a / e), shares floored at 1e-4. */
export function populationStability(edges: readonly number[], trainingShares: readonly number[], values: ArrayLike<number>): number {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let index = 0; index < values.length; index++) counts[binOf(edges, values[index]!)]!++;
  let psi = 0;
  counts.forEach((count, bin) => {
    const actual = Math.max(1e-4, count / Math.max(1, values.length));
    const expected = Math.max(1e-4, trainingShares[bin] ?? 0);
    psi += (actual - expected) * Math.log(actual / expected);
  });
  return psi;
}

interface FeatureRow {
  name: string;
  trainingMean: number;
  trainingStd: number;
  windowMean: number;
  windowStd: number;
  legitMean: number;
  fraudMean: number;
  psi: number | null;
}

function featureRows(input: ReportInput): FeatureRow[] {
  const { dataset, rows } = input;
  const metadata = input.models[0]!.metadata;
  const width = metadata.featureNames.length;
  return metadata.featureNames.map((name, column) => {
    const values = Float64Array.from(rows, (row) => dataset.features[row * width + column]!);
    const mean = (pick: (index: number) => boolean): number => {
      let sum = 0;
      let count = 0;
      values.forEach((value, index) => {
        if (pick(index)) {
          sum += value;
          count++;
        }
      });
      return count === 0 ? Number.NaN : sum / count;
    };
    const windowMean = mean(() => true);
    const variance = values.reduce((sum, value) => sum + (value - windowMean) ** 2, 0) / Math.max(1, values.length);
    const trained = metadata.featureStatistics?.find((feature) => feature.name === name);
    return {
      name,
      trainingMean: trained?.mean ?? metadata.normalisation.mean[column]!,
      trainingStd: trained?.std ?? metadata.normalisation.std[column]!,
      windowMean,
      windowStd: Math.sqrt(variance),
      legitMean: mean((index) => dataset.fraud[rows[index]!] !== 1),
      fraudMean: mean((index) => dataset.fraud[rows[index]!] === 1),
      psi: trained ? populationStability(trained.bins.edges, trained.bins.shares, values) : null,
    };
  });
}

/** What the page's script charts. */
export function evaluationReportData(input: ReportInput) {
  const labels = Uint8Array.from(input.rows, (row) => input.dataset.fraud[row]!);
  const days = input.models[0]!.evaluation.cardPrecisionPerDay.map((day) => day.day);
  return {
    grid: GRID,
    days: days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000),
    bins: Array.from({ length: BINS }, (_, index) => (index + 0.5) / BINS),
    models: input.models.map((model) => {
      const scores = Float64Array.from(input.rows, (row) => model.scores[row]!);
      const perDay = new Map(model.evaluation.cardPrecisionPerDay.map((day) => [day.day, day.precision]));
      return {
        version: model.metadata.version,
        ...curvesOnGrid(scores, labels),
        cardPrecision: days.map((day) => perDay.get(day) ?? null),
        distribution: scoreDistribution(scores, labels),
      };
    }),
  };
}

const chartScript = `
const data = JSON.parse(document.getElementById('report-data').textContent);
const palette = ['#5aa9ff', '#f5a524', '#30a46c', '#e5484d', '#b07cff', '#3dd6d0'];
const width = () => Math.min(540, document.body.clientWidth - 32);
const axis = (label, extra = {}) => ({ stroke: '#8b98a7', grid: { stroke: '#26313d' }, label, ...extra });
// Days as dates, one tick a day; a log axis as powers of ten (its small values are not 0).
const dayAxis = { incrs: [86400], values: (u, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(0, 10)) };
const logAxis = { values: (u, ticks) => ticks.map((t) => (t == null ? '' : t >= 0.01 ? String(+t.toPrecision(2)) : t.toExponential(0))) };
function chart(id, xLabel, yLabel, x, series, options = {}) {
  new uPlot({ width: options.wide ? Math.min(1100, document.body.clientWidth - 32) : width(), height: 300,
    axes: [axis(xLabel, options.time ? dayAxis : {}), axis(yLabel, options.y?.distr === 3 ? logAxis : {})], scales: { x: { time: options.time === true }, y: options.y ?? { range: [0, 1] } },
    series: [{ label: xLabel }, ...series.map((s, i) => ({ label: s.label, stroke: s.color ?? palette[i % palette.length], width: 2, dash: s.dash, spanGaps: true, points: { show: options.points === true } }))] },
    [x, ...series.map((s) => s.values)], document.getElementById(id));
}
const each = (pick, suffix = '') => data.models.map((m, i) => ({ label: m.version + suffix, values: pick(m), color: palette[i % palette.length] }));
chart('chart-roc', 'false positive rate', 'true positive rate', data.grid, [...each((m) => m.roc), { label: 'random', values: data.grid, color: '#555', dash: [4, 4] }]);
chart('chart-pr', 'recall', 'precision', data.grid, each((m) => m.pr));
chart('chart-daily', 'test day', 'card precision@100', data.days, each((m) => m.cardPrecision), { time: true, points: true, wide: true });
chart('chart-scores', 'score', 'share of the class', data.bins,
  data.models.flatMap((m, i) => [
    { label: m.version + ' frauds', values: m.distribution.fraud, color: palette[i % palette.length] },
    { label: m.version + ' legitimate', values: m.distribution.legit, color: palette[i % palette.length], dash: [6, 4] },
  ]), { y: { distr: 3 }, wide: true });
`;

const fixed = (value: number, digits = 3): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

/** The feature's label from the catalogue (its name in the cell's title); a name it does not know as code. */
function featureCell(name: string): string {
  const label = featureLabel(name);
  return label === name ? `<code>${escapeHtml(name)}</code>` : escapeHtml(label);
}

export function evaluationReport(input: ReportInput, assets: { js: string; css: string }, generatedAt = new Date()): string {
  const first = input.models[0]!;
  const period = `${new Date(input.fromMs).toISOString().slice(0, 10)} .. ${new Date(input.toMs - DAY_MS).toISOString().slice(0, 10)}`;
  const header = `<tr><th></th>${input.models.map((m) => `<th>${escapeHtml(m.metadata.version)}</th>`).join('')}${input.handbook.shown ? `<th>${escapeHtml(HANDBOOK_BEST.name)}</th>` : ''}</tr>`;
  const row = (name: string, cells: string[], handbook = ''): string =>
    `<tr><td>${escapeHtml(name)}</td>${cells.map((cell) => `<td class="num">${cell}</td>`).join('')}${input.handbook.shown ? `<td class="num">${handbook}</td>` : ''}</tr>`;
  const metric = (name: string, key: 'aucRoc' | 'averagePrecision' | 'cardPrecisionAt100'): string =>
    row(name, input.models.map((m) => fixed(m.evaluation[key])), String(HANDBOOK_BEST[key]));
  const trainedOn = (metadata: ModelMetadata): string => `${String(metadata.training['from'] ?? '?')} .. ${String(metadata.training['to'] ?? '?')}`;
  const features = featureRows(input)
    .map(
      (feature) =>
        `<tr><td title="${escapeHtml(feature.name)}">${featureCell(feature.name)}</td>${[feature.trainingMean, feature.trainingStd, feature.windowMean, feature.windowStd, feature.legitMean, feature.fraudMean]
          .map((value) => `<td class="num">${fixed(value)}</td>`)
          .join('')}<td class="num${feature.psi !== null && feature.psi >= 0.25 ? ' alert' : feature.psi !== null && feature.psi >= 0.1 ? ' warn' : ''}">${feature.psi === null ? '–' : fixed(feature.psi)}</td></tr>`,
    )
    .join('\n');
  const hasStatistics = first.metadata.featureStatistics !== undefined;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fraudstream evaluation · ${escapeHtml(period)}</title>
<style>${assets.css}</style>
<style>${reportStyle}
.plots { display: flex; flex-wrap: wrap; gap: 16px; } .warn { color: #f5a524; } .alert { color: #e5484d; font-weight: bold; }
</style>
</head>
<body>
<h1>Evaluation ${escapeHtml(period)}</h1>
<p class="muted">${escapeHtml(input.input)}: ${first.evaluation.rows} payments, ${first.evaluation.frauds} frauds, after ${first.evaluation.knownCompromisedRows} payments of cards already known compromised were left out (the Fraud Detection Handbook's protocol, labels 7 days late). Generated ${generatedAt.toISOString()}.</p>
<table>
${header}
${row('trained on', input.models.map((m) => escapeHtml(trainedOn(m.metadata))))}
${metric('AUC ROC', 'aucRoc')}
${metric('average precision', 'averagePrecision')}
${metric('card precision@100', 'cardPrecisionAt100')}
${row('threshold', input.models.map((m) => fixed(m.alerts.threshold, 4)))}
${row('alerts at the threshold', input.models.map((m) => String(m.alerts.alerts)))}
${row('their precision', input.models.map((m) => fixed(m.alerts.precision)))}
${row('frauds they catch', input.models.map((m) => fixed(m.alerts.recall)))}
</table>
<p class="muted">${escapeHtml(input.handbook.note)}</p>
<div class="plots">
<div><h2>ROC curve</h2><div id="chart-roc"></div></div>
<div><h2>Precision–recall curve</h2><div id="chart-pr"></div></div>
</div>
<h2>Card precision@100 per test day</h2>
<p class="muted">Each day the 100 cards of highest score; the share of them with a fraud that day. A card found on an earlier day is left out of later days.</p>
<div id="chart-daily"></div>
<h2>Score distributions by label</h2>
<p class="muted">Share of the frauds (solid) and of the legitimate payments (dashed) in each score bin, log scale.</p>
<div id="chart-scores"></div>
<h2>Features</h2>
<p class="muted">Training: ${hasStatistics ? `the training rows of ${escapeHtml(first.metadata.version)}` : `the normalisation of ${escapeHtml(first.metadata.version)} (trained before feature statistics were kept: no PSI)`}. Window: the payments above. PSI: population stability index of the window against the training deciles (≥ 0.1 shifted, ≥ 0.25 a large shift).</p>
<table>
<tr><th>feature</th><th>training mean</th><th>training std</th><th>window mean</th><th>window std</th><th>legitimate mean</th><th>fraud mean</th><th>PSI</th></tr>
${features}
</table>
<script type="application/json" id="report-data">${scriptJson(evaluationReportData(input))}</script>
<script>${assets.js}</script>
<script>${chartScript}</script>
</body>
</html>
`;
}
