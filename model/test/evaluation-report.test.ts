import { describe, expect, it } from 'vitest';
import { DAY_MS } from '@fraudstream/shared';
import { evaluateScores, protocolRows } from '../src/evaluation.js';
import { evaluationReport, evaluationReportData, populationStability, type ReportInput } from '../src/evaluation-report.js';
import type { ModelMetadata } from '../src/model.js';
import { alertsAtThreshold } from '../src/promotion.js';
import { dayIndexOf, type Dataset } from '../src/replay.js';

const fromMs = Date.parse('2018-08-08T00:00:00Z');

/** Two features (amount, a flag), 3 test days of 100 payments, every tenth a fraud with a large amount. */
function dataset(): Dataset {
  const n = 300;
  const features = new Float32Array(n * 2);
  const fraud = new Uint8Array(n);
  const timestampMs = new Float64Array(n);
  const cardIds: string[] = [];
  const fraudCardsByDay = new Map<number, Set<string>>();
  for (let row = 0; row < n; row++) {
    fraud[row] = row % 10 === 0 ? 1 : 0;
    features[row * 2] = fraud[row] ? 300 + row : 20 + (row % 50);
    features[row * 2 + 1] = row % 2;
    timestampMs[row] = fromMs + Math.floor(row / 100) * DAY_MS + (row % 100) * 60_000;
    cardIds.push(`card-${row}`);
    if (fraud[row]) {
      const day = dayIndexOf(timestampMs[row]!);
      fraudCardsByDay.set(day, (fraudCardsByDay.get(day) ?? new Set()).add(`card-${row}`));
    }
  }
  return { n, features, fraud, timestampMs, cardIds, csvTransactionIds: cardIds, fraudCardsByDay, inputFirstMs: fromMs - 40 * DAY_MS, inputLastMs: timestampMs[n - 1]! };
}

const metadata = (version: string, statistics = true): ModelMetadata => ({
  formatVersion: 1,
  version,
  createdAt: '2026-12-01T00:00:00.000Z',
  featureNames: ['AMOUNT', 'FLAG'],
  normalisation: { mean: [40, 0.5], std: [20, 0.5] },
  threshold: { value: 0.5, method: 'test' },
  training: { from: '2018-07-25', to: '2018-08-01' },
  validation: { rows: 1, frauds: 1, aucRoc: 0.9, averagePrecision: 0.8 },
  ...(statistics
    ? {
        featureStatistics: [
          { name: 'AMOUNT', mean: 40, std: 20, min: 1, max: 900, zeroShare: 0, quantiles: { p01: 1, p05: 5, p25: 20, p50: 40, p75: 60, p95: 200, p99: 500 }, bins: { edges: [30, 60], shares: [0.4, 0.5, 0.1] } },
          { name: 'FLAG', mean: 0.5, std: 0.5, min: 0, max: 1, zeroShare: 0.5, quantiles: { p01: 0, p05: 0, p25: 0, p50: 1, p75: 1, p95: 1, p99: 1 }, bins: { edges: [0, 1], shares: [0, 0.5, 0.5] } },
        ],
      }
    : {}),
});

function input(): ReportInput {
  const data = dataset();
  const protocol = { testFromMs: fromMs, trainDays: 7, labelDelayDays: 7 };
  const perfect = Float32Array.from({ length: data.n }, (_, row) => (data.fraud[row] ? 0.9 : 0.1));
  const noisy = Float32Array.from({ length: data.n }, (_, row) => (row % 7) / 7);
  const model = (meta: ModelMetadata, scores: Float32Array) => ({ metadata: meta, scores, evaluation: evaluateScores(data, scores, protocol), alerts: alertsAtThreshold(scores, data.fraud, 0.5) });
  return {
    input: 'history <&> "x".csv',
    fromMs,
    toMs: fromMs + 3 * DAY_MS,
    dataset: data,
    rows: protocolRows(data, protocol).rows,
    models: [model(metadata('good<model>'), perfect), model(metadata('noisy', false), noisy)],
    handbook: { shown: false, note: "not the Handbook's split" },
  };
}

describe('the evaluation report', () => {
  it('charts both models on the same grid: ROC, precision–recall, card precision per day, score distributions', () => {
    const data = evaluationReportData(input());
    expect(data.grid).toHaveLength(201);
    expect(data.days).toEqual([0, 1, 2].map((day) => (fromMs + day * DAY_MS) / 1000));
    const [good, noisy] = data.models;
    // A perfect ranking reaches every fraud before any false positive; precision 1 at every recall.
    expect(good!.roc[0]).toBe(1);
    expect(good!.pr.every((value) => value === 1)).toBe(true);
    expect(noisy!.roc.every((value, index) => index === 0 || value >= noisy!.roc[index - 1]!)).toBe(true);
    expect(good!.cardPrecision).toEqual([0.1, 0.1, 0.1]); // 10 frauds a day among the top 100 cards
    expect(good!.distribution.fraud.filter((share) => share !== null)).toEqual([1]);
    expect(good!.distribution.legit.filter((share) => share !== null)).toEqual([1]);
    expect(noisy!.distribution.legit.reduce((sum: number, share) => sum + (share ?? 0), 0)).toBeCloseTo(1, 9);
  });

  it('is one escaped page with the figures side by side, per-feature statistics and PSI, no external resource', () => {
    const html = evaluationReport(input(), { js: '/* uPlot */', css: '' }, new Date('2026-12-03T00:00:00Z'));
    expect(html).toContain('good&lt;model&gt;');
    expect(html).toContain('history &lt;&amp;&gt; &quot;x&quot;.csv');
    expect(html).not.toContain('good<model>');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);
    expect(html).toMatch(/<td>average precision<\/td><td class="num">1\.000<\/td><td class="num">0\.\d{3}<\/td><\/tr>/);
    expect(html).toContain('not the Handbook&#39;s split');
    expect(html).not.toContain('tuned by prequential');
    // The amounts of the window (20..69 and frauds ≥ 300) against training bins of 40 % / 50 % / 10 %: a large shift.
    expect(html).toMatch(/<td title="AMOUNT"><code>AMOUNT<\/code><\/td>(<td class="num">[^<]+<\/td>){6}<td class="num alert">\d+\.\d{3}<\/td>/);
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as { models: { version: string }[] };
    expect(data.models.map((model) => model.version)).toEqual(['good<model>', 'noisy']);
  });

  it("names a model feature by the catalogue's label, with its name in the title", () => {
    const named = input();
    for (const model of named.models) model.metadata = { ...model.metadata, featureNames: ['TX_AMOUNT', 'TERMINAL_ID_RISK_7DAY_WINDOW'], featureStatistics: undefined };
    const html = evaluationReport(named, { js: '', css: '' });
    expect(html).toContain('<td title="TX_AMOUNT">Amount</td>');
    expect(html).toContain('<td title="TERMINAL_ID_RISK_7DAY_WINDOW">Terminal&#39;s fraud share, 7 days ending a week ago</td>');
  });
});

describe('populationStability', () => {
  it('is 0 for the training distribution itself and grows with the shift', () => {
    const training = [0.25, 0.25, 0.25, 0.25];
    const edges = [1, 2, 3];
    expect(populationStability(edges, training, [0.5, 1.5, 2.5, 3.5])).toBeCloseTo(0, 9);
    const mild = populationStability(edges, training, [0.5, 1.5, 1.5, 2.5, 3.5, 3.5, 0.5, 2.5, 1.5, 1.5]);
    const strong = populationStability(edges, training, [3.5, 3.5, 3.5, 3.5, 3.5, 0.5]);
    expect(mild).toBeGreaterThan(0);
    expect(strong).toBeGreaterThan(mild);
    expect(strong).toBeGreaterThan(0.25);
  });
});
