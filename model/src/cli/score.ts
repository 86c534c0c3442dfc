import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { DEFAULT_MODEL_DIR } from '../default-model.js';
import { scoreCsvOffline } from '../score-offline.js';
import type { RuleBook, RuleFailure } from '@fraudstream/shared/rules';
import { badRowReporter, csvRows, dateFlag, isEntryPoint, parseFlags, required, runCli, usageError } from './args.js';
import { createProgress } from './progress.js';

export const usage = `Usage: npm run score -- --input FILE --from DAY --output FILE [--model DIR]
                     [--rules FILE [--lists FILE]]

Replays the CSV through the feature engine and the model (as the detector does online) and writes
TRANSACTION_ID,score for every transaction at or after --from (TRANSACTION_ID as in the input). Every
row is read; the replay starts at the features' look-back (37 days) before --from, since nothing older
changes a feature: the scores are those of a replay of the whole file.

With --rules, each payment is also decided as the detector decides it online, and the output gains
decision (block, review, or empty: no alert), rule_hits and shadow_hits (id@version, space-separated;
an allow hit leaves the decision empty). Rules keep their mode: shadow rules are listed, never decide.

Options:
  --model DIR      model directory (default ${DEFAULT_MODEL_DIR})
  --input FILE     Handbook CSV
  --from DAY       first day to write scores for (UTC; a date or days before today: 8d)
  --output FILE    where to write the scores CSV ("-" for stdout)
  --rules FILE     a JSON array of rules: { id, name, expression, action, mode?, description? }
  --lists FILE     a JSON object of named lists the rules read: { "blocked-cards": [...], ... }
  -h, --help       this text`;

export async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, {
    model: { type: 'string' },
    input: { type: 'string' },
    from: { type: 'string' },
    output: { type: 'string' },
    rules: { type: 'string' },
    lists: { type: 'string' },
  });
  const input = required(flags.input, 'input');
  const output = required(flags.output, 'output');
  const fromMs = dateFlag(flags.from, 'from');
  if (flags.lists !== undefined && flags.rules === undefined) throw usageError('--lists needs --rules');
  // The rules engine and the streaming path are imported when used: a plain `score` starts without them.
  let rules: RuleBook | undefined;
  if (flags.rules !== undefined) {
    const [{ createRuleBook }, { readListsFile, readRulesFile }] = await Promise.all([import('@fraudstream/shared/rules'), import('./rule-files.js')]);
    rules = createRuleBook();
    for (const rule of await readRulesFile(flags.rules, 'score')) rules.putRule(rule);
    for (const list of flags.lists === undefined ? [] : await readListsFile(flags.lists, 'score')) rules.putList(list);
  }
  const failures = new Map<string, { count: number; message: string }>();
  const onRuleFailure = (failure: RuleFailure): void => {
    const seen = failures.get(failure.ruleId);
    if (seen) seen.count += 1;
    else failures.set(failure.ruleId, { count: 1, message: failure.message });
  };
  const modelDir = flags.model ?? DEFAULT_MODEL_DIR;
  // A plain file in time order (the simulator's) is scored whole, as columns: the same scores, faster.
  if (rules === undefined) {
    const progress = createProgress('score  ');
    let offline: Awaited<ReturnType<typeof scoreCsvOffline>>;
    try {
      offline = await scoreCsvOffline(input, { fromMs, output: output === '-' ? process.stdout : output, modelDir, onProgress: progress.update });
    } catch (err) {
      if (output !== '-') await rm(output, { force: true });
      throw err;
    }
    if (offline !== undefined) {
      progress.done(`${offline.written} scored`);
      console.error(`${offline.written} scores (model ${offline.version}) → ${output}`);
      return;
    }
  }
  // The model runs in a worker thread, beside the feature engine on this one; it loads while the
  // replay starts.
  const { scoreRows, startScoreWorker } = await import('../score.js');
  const starting = startScoreWorker(modelDir);
  starting.catch(() => {}); // surfaces through scoreRows, or below

  const sink = output === '-' ? process.stdout : createWriteStream(output);
  const bad = badRowReporter(input);
  const progress = createProgress('score  ');
  let scored = 0;
  const rows = csvRows(input, bad.onBadRow, (fraction) => progress.update(fraction, `${scored} scored`));
  let written: number;
  try {
    written = await scoreRows(rows, starting, { fromMs, sink, onScored: (count) => (scored = count), ...(rules ? { rules, onRuleFailure } : {}) });
  } catch (err) {
    // No half-written scores file stays behind.
    if (sink !== process.stdout) {
      sink.destroy();
      await rm(output, { force: true });
    }
    throw err;
  } finally {
    await starting.then((scorer) => scorer.close(), () => {});
  }
  const scorer = await starting;
  progress.done(`${written} scored`);
  if (sink !== process.stdout) {
    sink.end();
    await once(sink, 'finish');
  }
  const badSummary = bad.summary();
  if (badSummary !== undefined) console.error(badSummary);
  for (const [ruleId, { count, message }] of failures) console.error(`rule ${ruleId} failed on ${count} payments (non-hits), e.g.: ${message}`);
  const ruled = rules ? `, decided with ${rules.rules().length} rules` : '';
  console.error(`${written} scores (model ${scorer.version}${ruled}) → ${output}`);
}

if (isEntryPoint(import.meta.url)) runCli(usage, main);
