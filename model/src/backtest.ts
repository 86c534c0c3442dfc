import { transactionFromRow, type HandbookRow } from '@fraudstream/shared/csv';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { createRuleBook, decide, decidePayment, type NamedList, type Rule, type RuleAction } from '@fraudstream/shared/rules';
import type { FraudModel } from './model.js';
import { replayFeatures, type ReplayOptions } from './replay.js';

/** What one rule did on one day of the history. */
export interface RuleDay {
  hits: number;
  /** Hits on payments labelled fraud. */
  fraudHits: number;
  /** Hits on payments the model alone alerts on. */
  modelAlsoAlerted: number;
  /** block / review hits on payments the model does not alert on: alerts the rule adds. */
  added: number;
  /** allow hits on payments the model or another rule flags: alerts the rule suppresses. */
  suppressed: number;
}

/** One day of the history: the model alone against the model with every rule. */
export interface BacktestDay {
  day: string;
  payments: number;
  frauds: number;
  modelAlerts: number;
  modelFraudAlerts: number;
  /** With the rules: alerts (block or review) and the frauds among them. */
  alerts: number;
  fraudAlerts: number;
  rules: Record<string, RuleDay>;
}

export interface BacktestResult {
  rules: Array<Pick<Rule, 'id' | 'version' | 'name' | 'action' | 'expression'>>;
  days: BacktestDay[];
  modelVersion: string;
  threshold: number;
  /** Rule evaluations that failed (a missing list, …), by rule id: non-hits, as online. */
  failures: Record<string, number>;
}

/** The UTC day of a time, as YYYY-MM-DD. */
const dayKeyOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

const emptyRuleDay = (): RuleDay => ({ hits: 0, fraudHits: 0, modelAlsoAlerted: 0, added: 0, suppressed: 0 });

/**
 * Replays the history through the detector's feature engine and the model, and applies the rules to
 * every payment as the detector would: each rule counted on its own (hits, frauds among them, overlap
 * with the model), and all of them together deciding (allow > block > review or the model). Every rule
 * that is not disabled counts as active here: the point is to see a shadow rule's effect before it is.
 */
export async function backtest(
  source: AsyncIterable<readonly HandbookRow[]>,
  options: { model: FraudModel; rules: readonly Rule[]; lists?: readonly NamedList[]; onPayments?: (count: number) => void } & Pick<
    ReplayOptions,
    'featuresFromMs' | 'untilMs' | 'labelDelayDays'
  >,
): Promise<BacktestResult> {
  const { model } = options;
  const live = options.rules.filter((rule) => rule.mode !== 'disabled');
  const book = createRuleBook();
  for (const rule of live) book.putRule({ ...rule, mode: 'active' });
  for (const list of options.lists ?? []) book.putList(list);
  const actions = new Map<string, RuleAction>(live.map((rule) => [rule.id, rule.action]));

  const days = new Map<string, BacktestDay>();
  const failures: Record<string, number> = {};
  const width = FEATURE_NAMES.length;
  let payments = 0;
  for await (const batch of replayFeatures(source, options)) {
    const scores = await model.predict(batch.features, batch.rows.length);
    batch.rows.forEach((row, index) => {
      const score = scores[index]!;
      // The Handbook has no currency, channel or card number: the CSV's rows are EUR payments.
      const outcome = decidePayment(book, {
        transaction: transactionFromRow(row),
        features: batch.features.subarray(index * width, (index + 1) * width),
        score,
        threshold: model.threshold,
      });
      for (const failure of outcome.failures) failures[failure.ruleId] = (failures[failure.ruleId] ?? 0) + 1;
      const key = dayKeyOf(row.timestampMs);
      let day = days.get(key);
      if (!day) {
        day = { day: key, payments: 0, frauds: 0, modelAlerts: 0, modelFraudAlerts: 0, alerts: 0, fraudAlerts: 0, rules: Object.fromEntries(live.map((rule) => [rule.id, emptyRuleDay()])) };
        days.set(key, day);
      }
      const modelAlerts = score >= model.threshold;
      const { decision } = outcome;
      const flaggedWithoutAllow = decide({ hits: outcome.hits.filter((hit) => hit.action !== 'allow'), score, threshold: model.threshold }).decision !== null;
      day.payments += 1;
      if (row.fraud) day.frauds += 1;
      if (modelAlerts) day.modelAlerts += 1;
      if (modelAlerts && row.fraud) day.modelFraudAlerts += 1;
      if (decision !== null) day.alerts += 1;
      if (decision !== null && row.fraud) day.fraudAlerts += 1;
      for (const hit of outcome.hits) {
        const stats = day.rules[hit.ruleId]!;
        stats.hits += 1;
        if (row.fraud) stats.fraudHits += 1;
        if (modelAlerts) stats.modelAlsoAlerted += 1;
        if (actions.get(hit.ruleId) === 'allow') {
          if (flaggedWithoutAllow) stats.suppressed += 1;
        } else if (!modelAlerts) stats.added += 1;
      }
    });
    payments += batch.rows.length;
    options.onPayments?.(payments);
  }
  return {
    rules: live.map(({ id, version, name, action, expression }) => ({ id, version, name, action, expression })),
    days: [...days.values()].sort((a, b) => (a.day < b.day ? -1 : 1)),
    modelVersion: model.version,
    threshold: model.threshold,
    failures,
  };
}

/** Totals of one rule over the days: precision = frauds among hits, recall = share of all frauds caught. */
export function ruleTotals(result: BacktestResult, ruleId: string): RuleDay & { precision: number; recall: number } {
  const total = emptyRuleDay();
  let frauds = 0;
  for (const day of result.days) {
    frauds += day.frauds;
    const stats = day.rules[ruleId];
    if (!stats) continue;
    total.hits += stats.hits;
    total.fraudHits += stats.fraudHits;
    total.modelAlsoAlerted += stats.modelAlsoAlerted;
    total.added += stats.added;
    total.suppressed += stats.suppressed;
  }
  return { ...total, precision: total.hits === 0 ? 0 : total.fraudHits / total.hits, recall: frauds === 0 ? 0 : total.fraudHits / frauds };
}

const percent = (value: number): string => `${(value * 100).toFixed(1)} %`;

/** The report as a person reads it: totals per rule, then each rule's days. */
export function formatBacktest(result: BacktestResult): string {
  const days = result.days;
  const sum = (pick: (day: BacktestResult['days'][number]) => number): number => days.reduce((total, day) => total + pick(day), 0);
  const payments = sum((day) => day.payments);
  const frauds = sum((day) => day.frauds);
  const modelAlerts = sum((day) => day.modelAlerts);
  const modelFrauds = sum((day) => day.modelFraudAlerts);
  const alerts = sum((day) => day.alerts);
  const fraudAlerts = sum((day) => day.fraudAlerts);
  const ratio = (a: number, b: number): string => (b === 0 ? '-' : percent(a / b));
  const lines = [
    `model ${result.modelVersion} (threshold ${result.threshold}); ${days[0]?.day ?? '-'} .. ${days.at(-1)?.day ?? '-'}: ${payments} payments, ${frauds} frauds`,
    `model alone:      ${modelAlerts} alerts, precision ${ratio(modelFrauds, modelAlerts)}, recall ${ratio(modelFrauds, frauds)}`,
    `with the rules:   ${alerts} alerts, precision ${ratio(fraudAlerts, alerts)}, recall ${ratio(fraudAlerts, frauds)}`,
    '',
    `${'rule'.padEnd(20)} ${'action'.padEnd(7)} ${'hits'.padStart(7)} ${'frauds'.padStart(7)} ${'precision'.padStart(9)} ${'recall'.padStart(8)} ${'overlap'.padStart(8)} ${'adds'.padStart(6)} ${'suppr.'.padStart(6)} ${'errors'.padStart(6)}`,
  ];
  for (const rule of result.rules) {
    const t = ruleTotals(result, rule.id);
    lines.push(
      `${rule.id.padEnd(20)} ${rule.action.padEnd(7)} ${String(t.hits).padStart(7)} ${String(t.fraudHits).padStart(7)} ${(t.hits ? percent(t.precision) : '-').padStart(9)} ${percent(t.recall).padStart(8)} ${String(t.modelAlsoAlerted).padStart(8)} ${String(t.added).padStart(6)} ${String(t.suppressed).padStart(6)} ${String(result.failures[rule.id] ?? 0).padStart(6)}`,
    );
  }
  for (const rule of result.rules) {
    lines.push('', `${rule.id} (${rule.action}): ${rule.expression}`, `  ${'day'.padEnd(10)} ${'hits'.padStart(7)} ${'frauds'.padStart(7)} ${'precision'.padStart(9)} ${'recall'.padStart(8)} ${'overlap'.padStart(8)} ${'adds'.padStart(6)} ${'suppr.'.padStart(6)}`);
    for (const day of days) {
      const s = day.rules[rule.id]!;
      lines.push(
        `  ${day.day.padEnd(10)} ${String(s.hits).padStart(7)} ${String(s.fraudHits).padStart(7)} ${ratio(s.fraudHits, s.hits).padStart(9)} ${ratio(s.fraudHits, day.frauds).padStart(8)} ${String(s.modelAlsoAlerted).padStart(8)} ${String(s.added).padStart(6)} ${String(s.suppressed).padStart(6)}`,
      );
    }
  }
  return lines.join('\n');
}

