import { describe, expect, it } from 'vitest';
import type { ModelMetadata } from '../src/model.js';
import { curves, renderReport } from '../src/report.js';

const metadata: ModelMetadata = {
  formatVersion: 1,
  version: 'mlp-<test>&"1"',
  createdAt: '2026-11-25T06:44:35.687Z',
  featureNames: ['TX_AMOUNT', 'A<B'],
  normalisation: { mean: [52.123456, 0.5], std: [30, 0.25] },
  threshold: { value: 0.655136227, method: 'maximises F1 on the validation rows' },
  training: { from: '2018-07-25', trainingRows: 47_329, fraudRate: 0.009423397, bestEpochs: [4, 8] },
  validation: { rows: 19_267, frauds: 166, aucRoc: 0.8928369, averagePrecision: 0.7525890, cardPrecisionAt100: 0.54 },
};
const validation = { scores: [0.9, 0.8, 0.7, 0.6, 0.2, 0.1], labels: [1, 0, 1, 0, 0, 0] };
const history = [
  { member: 0, epoch: 1, loss: 0.123456, validationAveragePrecision: 0.5 },
  { member: 1, epoch: 2, loss: 0.1, validationAveragePrecision: 0.61234 },
];

describe('curves', () => {
  it('gives the ROC curve from (0, 0) to (1, 1) and the precision at each recall, one point per distinct score', () => {
    const { roc, pr } = curves([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]);
    expect(roc).toEqual([
      [0, 0],
      [0, 0.5],
      [0.5, 0.5],
      [0.5, 1],
      [1, 1],
    ]);
    expect(pr).toEqual([
      [0.5, 1],
      [0.5, 0.5],
      [1, 2 / 3],
      [1, 0.5],
    ]);
  });

  it('makes tied scores one point', () => {
    const { roc, pr } = curves([0.5, 0.5, 0.5, 0.1], [1, 0, 0, 0]);
    expect(roc).toEqual([
      [0, 0],
      [2 / 3, 1],
      [1, 1],
    ]);
    expect(pr).toEqual([
      [1, 1 / 3],
      [1, 0.25],
    ]);
  });

  it('keeps at most 400 points of each curve, the first and the last among them', () => {
    const n = 5_000;
    const scores = Array.from({ length: n }, (_, index) => 1 - index / n);
    const labels = scores.map((_, index) => (index % 7 === 0 ? 1 : 0));
    const { roc, pr } = curves(scores, labels);
    expect(roc).toHaveLength(400);
    expect(pr).toHaveLength(400);
    expect(roc[0]).toEqual([0, 0]);
    expect(roc.at(-1)).toEqual([1, 1]);
    expect(pr.at(-1)?.[0]).toBe(1);
  });

  it('does not divide by zero without frauds or without legitimate payments', () => {
    expect(curves([0.3, 0.2], [0, 0]).roc).toEqual([
      [0, 0],
      [0.5, 0],
      [1, 0],
    ]);
    expect(curves([0.3, 0.2], [1, 1]).roc).toEqual([
      [0, 0],
      [0, 0.5],
      [0, 1],
    ]);
    expect(curves([], []).roc).toEqual([[0, 0]]);
  });
});

describe('renderReport', () => {
  const html = renderReport(metadata, validation, history);
  const cells = (text: string): string[] => [...text.matchAll(/<t[hd]>([^<]*)<\/t[hd]>/g)].map((match) => match[1]!);

  it('is a self-contained page: no scripts, no external resources', () => {
    expect(html.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
    expect(html.trimEnd().endsWith('</body></html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|src=|href=/i);
    expect(html.match(/https?:\/\/[^"]+/g)).toEqual(['http://www.w3.org/2000/svg', 'http://www.w3.org/2000/svg']);
  });

  it('escapes what came from the metadata', () => {
    expect(html).toContain('<title>fraudstream model mlp-&lt;test&gt;&amp;&quot;1&quot;</title>');
    // A feature the catalogue knows gets its label, its name beside it; one it does not know is its name, escaped.
    expect(html).toContain('<td>A&lt;B</td><td><code>A&lt;B</code></td>');
    expect(html).toMatch(/<td>Amount<\/td><td><code>TX_AMOUNT<\/code><\/td>/);
    expect(html).not.toContain('<test>');
  });

  it('shows the threshold and the validation metrics, integers as they are and the rest to 4 decimals', () => {
    expect(html).toContain('Alert threshold <b>0.6551</b>: maximises F1 on the validation rows.');
    expect(html).toContain('Created 2026-11-25T06:44:35.687Z.');
    const validationTable = html.slice(html.indexOf('<h2>Validation'), html.indexOf('<div class="plots">'));
    expect(cells(validationTable)).toEqual(['rows', '19267', 'frauds', '166', 'AUC ROC', '0.8928', 'average precision', '0.7526', 'card precision@100', '0.5400']);
  });

  it('leaves card precision out when it was not measured', () => {
    const { cardPrecisionAt100: _dropped, ...measured } = metadata.validation;
    expect(renderReport({ ...metadata, validation: measured }, validation, history)).not.toContain('card precision@100');
  });

  it('lists the training settings, one network per epoch row counted from 1, and every feature with its mean and std', () => {
    const section = (from: string, to: string) => html.slice(html.indexOf(from), html.indexOf(to));
    expect(cells(section('<h2>Training', '<h2>Epochs'))).toEqual(['from', '2018-07-25', 'trainingRows', '47329', 'fraudRate', '0.0094', 'bestEpochs', '[4,8]']);
    expect(cells(section('<h2>Epochs', '<h2>Features'))).toEqual([
      'network', 'epoch', 'training loss', 'validation average precision',
      '1', '1', '0.12346', '0.5000',
      '2', '2', '0.10000', '0.6123',
    ]);
    expect(html).toContain('<h2>Features (2)</h2>');
    expect(cells(html.slice(html.indexOf('<h2>Features')))).toEqual([
      'feature', 'name', 'training mean', 'training std',
      'Amount', '52.1235', '30.0000',
      'A&lt;B', '0.5000', '0.2500',
    ]);
  });

  it('draws the two curves as SVG paths through their points', () => {
    const paths = [...html.matchAll(/<path d="([^"]+)"/g)].map((match) => match[1]!);
    expect(paths).toHaveLength(2);
    const { roc, pr } = curves(validation.scores, validation.labels);
    expect(paths[0]!.split(' ')).toHaveLength(roc.length);
    expect(paths[1]!.split(' ')).toHaveLength(pr.length);
    // (0, 0) is the plot's bottom left corner: 44 px of margin, 320 px of plot.
    expect(paths[0]!.startsWith('M44.0,364.0 ')).toBe(true);
    expect(paths[0]!.endsWith(' L364.0,44.0')).toBe(true);
    expect(html).toContain('aria-label="ROC curve"');
    expect(html).toContain('aria-label="Precision–recall curve"');
  });
});
