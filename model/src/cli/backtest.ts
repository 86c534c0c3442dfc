import { writeFile } from 'node:fs/promises';
import { RuleAction, type Rule } from '@fraudstream/shared/rules';
import { backtest, formatBacktest } from '../backtest.js';
import { backtestReport } from '../backtest-report.js';
import { uplotAssets } from '../html.js';
import { DEFAULT_MODEL_DIR, loadModel } from '../model.js';
import { badRowReporter, csvRows, dateFlag, isEntryPoint, isoDay, parseFlags, required, runCli, usageError } from './args.js';
import { createProgress } from './progress.js';
import { readListsFile, readRulesFile, ruleOf } from './rule-files.js';

export const usage = `Usage: npm run backtest -- --input FILE (--rule EXPR | --rules FILE) [--model DIR] [--from D --to D]
                        [--action block|review|allow] [--lists FILE] [--json] [--report FILE.html]

What would these rules have done? Replays the history (a Handbook CSV, e.g. from npm run export)
through the detector's feature engine and model, applies the rules to every payment and prints, per
rule and per day: hits, labelled frauds among them, precision, the share of all frauds it catches, the
overlap with the model's alerts, and the alerts it would add (block, review) or suppress (allow). Every
rule that is not disabled counts as active. The CSV has no currency, channel or card number: rules see
tx.currency "EUR", tx.channel "" and tx.bin "".

Options:
  --input FILE     Handbook CSV
  --rule EXPR      one CEL expression to try (id "adhoc")
  --action ACTION  what --rule does: block, review (default) or allow
  --rules FILE     a JSON array of rules: { id, name, expression, action, mode?, description? }
  --lists FILE     a JSON object of named lists: { "blocked-cards": ["card-1", …], … }
  --model DIR      model directory (default ${DEFAULT_MODEL_DIR})
  --from DAY       first day to report (UTC, a date or days before today: 8d; the replay starts
                   the features' look-back before it)
  --to DAY         day after the last day to report
  --json           print the result as JSON
  --report FILE    also write an HTML report with plots (per day: alerts with and without the
                   rules, each rule's hits and precision); self-contained, opens offline
  -h, --help       this text`;

/** The rules to try: one expression (--rule) or a file (--rules). */
async function rulesOf(flags: { rule?: string; rules?: string; action?: string }): Promise<Rule[]> {
  if ((flags.rule === undefined) === (flags.rules === undefined)) throw usageError('Expected one of --rule EXPR or --rules FILE');
  const action = RuleAction.safeParse(flags.action ?? 'review');
  if (!action.success) throw usageError(`Expected --action to be block, review or allow, got ${JSON.stringify(flags.action)}`);
  return flags.rule !== undefined
    ? [ruleOf({ id: 'adhoc', name: 'ad-hoc rule', expression: flags.rule, action: action.data, mode: 'active' }, 'backtest')]
    : readRulesFile(flags.rules!, 'backtest');
}

export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    input: { type: 'string' },
    rule: { type: 'string' },
    rules: { type: 'string' },
    action: { type: 'string' },
    lists: { type: 'string' },
    model: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'boolean' },
    report: { type: 'string' },
  });
  const input = required(flags.input, 'input');
  const rules = await rulesOf(flags);
  const fromMs = flags.from === undefined ? undefined : dateFlag(flags.from, 'from');
  const toMs = flags.to === undefined ? undefined : dateFlag(flags.to, 'to');
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) throw usageError(`Expected --to after --from, got ${isoDay(fromMs)} .. ${isoDay(toMs)}`);
  const namedLists = flags.lists === undefined ? [] : await readListsFile(flags.lists, 'backtest');
  const model = await loadModel(flags.model ?? DEFAULT_MODEL_DIR);

  const bad = badRowReporter(input);
  const progress = createProgress('backtest ');
  let seen = 0;
  const result = await backtest(
    csvRows(input, bad.onBadRow, (fraction) => progress.update(fraction, `${seen} payments`)),
    { model, rules, lists: namedLists, ...(fromMs !== undefined ? { featuresFromMs: fromMs } : {}), ...(toMs !== undefined ? { untilMs: toMs } : {}), onPayments: (count) => (seen = count) },
  );
  progress.done(`${seen} payments`);
  const badSummary = bad.summary();
  if (badSummary !== undefined) console.error(badSummary);
  console.log(flags.json ? JSON.stringify(result, null, 2) : formatBacktest(result));
  if (flags.report !== undefined) {
    try {
      await writeFile(flags.report, backtestReport(result, await uplotAssets()));
    } catch (err) {
      throw usageError(`Cannot write --report ${flags.report}: ${(err as Error).message}`);
    }
    console.error(`report → ${flags.report}`);
  }
}

if (isEntryPoint(import.meta.url)) runCli(usage, main);
