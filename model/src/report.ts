import { featureLabel } from '@fraudstream/shared/features/catalogue';
import { thresholdCurve } from './metrics.js';
import type { ModelMetadata } from './model.js';

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);

/** At most `limit` points, always keeping the first and last. */
function thin<T>(points: T[], limit: number): T[] {
  if (points.length <= limit) return points;
  const step = (points.length - 1) / (limit - 1);
  return Array.from({ length: limit }, (_, index) => points[Math.round(index * step)]!);
}

function chart(title: string, xLabel: string, yLabel: string, points: [number, number][], diagonal: boolean): string {
  const size = 320;
  const pad = 44;
  const x = (value: number): number => pad + value * size;
  const y = (value: number): number => pad + (1 - value) * size;
  const path = points.map(([px, py], index) => `${index === 0 ? 'M' : 'L'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (tick) =>
        `<line x1="${x(tick)}" y1="${y(0)}" x2="${x(tick)}" y2="${y(0) + 5}" stroke="#444"/><text x="${x(tick)}" y="${y(0) + 18}" text-anchor="middle">${tick}</text>` +
        `<line x1="${x(0) - 5}" y1="${y(tick)}" x2="${x(0)}" y2="${y(tick)}" stroke="#444"/><text x="${x(0) - 8}" y="${y(tick) + 4}" text-anchor="end">${tick}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size + 2 * pad}" height="${size + 2 * pad}" font-size="11" font-family="sans-serif" role="img" aria-label="${escape(title)}">
<text x="${pad + size / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escape(title)}</text>
<rect x="${pad}" y="${pad}" width="${size}" height="${size}" fill="none" stroke="#444"/>
${diagonal ? `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#bbb" stroke-dasharray="4 4"/>` : ''}
${ticks}
<path d="${path}" fill="none" stroke="#c0392b" stroke-width="2"/>
<text x="${pad + size / 2}" y="${size + 2 * pad - 6}" text-anchor="middle">${escape(xLabel)}</text>
<text x="12" y="${pad + size / 2}" text-anchor="middle" transform="rotate(-90 12 ${pad + size / 2})">${escape(yLabel)}</text>
</svg>`;
}

/** The curves of one scored set, for the report's plots. */
export function curves(scores: ArrayLike<number>, labels: ArrayLike<number>): { roc: [number, number][]; pr: [number, number][] } {
  const points = thresholdCurve(scores, labels);
  const positives = points.at(-1)?.truePositives ?? 0;
  const negatives = points.at(-1)?.falsePositives ?? 0;
  const roc: [number, number][] = [[0, 0], ...points.map((p): [number, number] => [p.falsePositives / Math.max(1, negatives), p.truePositives / Math.max(1, positives)])];
  const pr: [number, number][] = points.map((p) => [p.truePositives / Math.max(1, positives), p.truePositives / (p.truePositives + p.falsePositives)]);
  return { roc: thin(roc, 400), pr: thin(pr, 400) };
}

/** A self-contained page (no scripts, no external resources): metrics, ROC and precision–recall plots. */
export function renderReport(metadata: ModelMetadata, validation: { scores: ArrayLike<number>; labels: ArrayLike<number> }, history: { member: number; epoch: number; loss: number; validationAveragePrecision: number }[]): string {
  const { roc, pr } = curves(validation.scores, validation.labels);
  const row = (name: string, value: unknown): string =>
    `<tr><th>${escape(name)}</th><td>${escape(typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(4)) : String(value))}</td></tr>`;
  const v = metadata.validation;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fraudstream model ${escape(metadata.version)}</title>
<style>body{font-family:sans-serif;margin:2rem;max-width:60rem;color:#222}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}th{background:#f4f4f4}.plots{display:flex;flex-wrap:wrap;gap:1rem}code{background:#f4f4f4;padding:0 .2rem}</style>
</head><body>
<h1>fraudstream model <code>${escape(metadata.version)}</code></h1>
<p>Created ${escape(metadata.createdAt)}. Alert threshold <b>${metadata.threshold.value.toFixed(4)}</b>: ${escape(metadata.threshold.method)}.</p>
<h2>Validation (held-out last days of the training period)</h2>
<table>${row('rows', v.rows)}${row('frauds', v.frauds)}${row('AUC ROC', v.aucRoc)}${row('average precision', v.averagePrecision)}${v.cardPrecisionAt100 === undefined ? '' : row('card precision@100', v.cardPrecisionAt100)}</table>
<div class="plots">${chart('ROC curve', 'false positive rate', 'true positive rate', roc, true)}${chart('Precision–recall curve', 'recall', 'precision', pr, false)}</div>
<h2>Training</h2>
<table>${Object.entries(metadata.training).map(([key, value]) => row(key, typeof value === 'object' ? JSON.stringify(value) : value)).join('')}</table>
<h2>Epochs</h2>
<table><tr><th>network</th><th>epoch</th><th>training loss</th><th>validation average precision</th></tr>${history.map((h) => `<tr><td>${h.member + 1}</td><td>${h.epoch}</td><td>${h.loss.toFixed(5)}</td><td>${h.validationAveragePrecision.toFixed(4)}</td></tr>`).join('')}</table>
<h2>Features (${metadata.featureNames.length})</h2>
<table><tr><th>feature</th><th>name</th><th>training mean</th><th>training std</th></tr>${metadata.featureNames.map((name, index) => `<tr><td>${escape(featureLabel(name))}</td><td><code>${escape(name)}</code></td><td>${metadata.normalisation.mean[index]!.toFixed(4)}</td><td>${metadata.normalisation.std[index]!.toFixed(4)}</td></tr>`).join('')}</table>
</body></html>
`;
}
