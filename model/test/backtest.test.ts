import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHandbookCsv, type HandbookRow } from '@fraudstream/shared/csv';
import type { Rule } from '@fraudstream/shared/rules';
import { backtest, formatBacktest, ruleTotals } from '../src/backtest.js';
import { DEFAULT_MODEL_DIR, loadModel, type FraudModel } from '../src/model.js';
import { writeHandbookCsv } from './support/handbook-csv.js';

const rule = (id: string, expression: string, action: Rule['action'], mode: Rule['mode'] = 'active'): Rule => ({
  schemaVersion: 1,
  id,
  version: 1,
  name: id,
  expression,
  action,
  mode,
  updatedAt: '2026-12-01T00:00:00Z',
  updatedBy: 'test',
});

describe('backtest', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-backtest-'));
  const csv = join(dir, 'data.csv');
  const fromMs = Date.parse('2018-07-20T00:00:00Z');
  let model: FraudModel;
  let period: HandbookRow[];
  beforeAll(async () => {
    await writeHandbookCsv(csv, { days: 30, cards: 300, terminals: 200, seed: 5 });
    model = await loadModel(DEFAULT_MODEL_DIR);
    period = [];
    for await (const rows of readHandbookCsv(csv)) period.push(...rows.filter((row) => row.timestampMs >= fromMs));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts each rule on its own, against the labels and the model, and all of them deciding together', async () => {
    const result = await backtest(readHandbookCsv(csv), {
      model,
      featuresFromMs: fromMs,
      rules: [
        rule('big', 'tx.amount > 100.0', 'review', 'shadow'),
        rule('everything', 'true', 'block'),
        rule('off', 'true', 'allow', 'disabled'),
      ],
    });
    const big = period.filter((row) => row.amount > 100);
    const frauds = period.filter((row) => row.fraud).length;
    expect(result.rules.map((r) => r.id)).toEqual(['big', 'everything']); // shadow counts as active; disabled is out
    expect(result.days.reduce((n, day) => n + day.payments, 0)).toBe(period.length);
    const totals = ruleTotals(result, 'big');
    expect(totals.hits).toBe(big.length);
    expect(totals.fraudHits).toBe(big.filter((row) => row.fraud).length);
    expect(totals.recall).toBeCloseTo(totals.fraudHits / frauds, 10);
    // A block rule on everything: every payment is an alert, and it adds all the model did not raise.
    const modelAlerts = result.days.reduce((n, day) => n + day.modelAlerts, 0);
    expect(modelAlerts).toBeGreaterThan(0);
    expect(result.days.reduce((n, day) => n + day.alerts, 0)).toBe(period.length);
    expect(ruleTotals(result, 'everything')).toMatchObject({ hits: period.length, added: period.length - modelAlerts, modelAlsoAlerted: modelAlerts });
    expect(formatBacktest(result)).toMatch(/^big +review +\d+/m);
  }, 60_000);

  it('counts the alerts an allow rule suppresses, and a failing rule as a non-hit', async () => {
    const result = await backtest(readHandbookCsv(csv), {
      model,
      featuresFromMs: fromMs,
      rules: [rule('allow-all', 'true', 'allow'), rule('broken', 'tx.cardId in lists["missing"]', 'block')],
    });
    const modelAlerts = result.days.reduce((n, day) => n + day.modelAlerts, 0);
    expect(result.days.reduce((n, day) => n + day.alerts, 0)).toBe(0);
    expect(ruleTotals(result, 'allow-all').suppressed).toBe(modelAlerts);
    expect(ruleTotals(result, 'broken').hits).toBe(0);
    expect(result.failures).toEqual({ broken: period.length });
  }, 60_000);
});
