import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import { DEFAULT_MODEL_DIR } from '../default-model.js';
import { scoreRows, startScoreWorker } from '../score.js';
import { badRowReporter, csvRows, dateFlag, parseFlags, required, runCli } from './args.js';
import { createProgress } from './progress.js';

const usage = `Usage: npm run score -- --input FILE --from YYYY-MM-DD --output FILE [--model DIR]

Replays the CSV through the feature engine and the model (as the detector does online) and writes
TRANSACTION_ID,score for every transaction at or after --from (TRANSACTION_ID as in the input). Every
row is read; the replay starts at the features' look-back (37 days) before --from, since nothing older
changes a feature: the scores are those of a replay of the whole file.

Options:
  --model DIR      model directory (default ${DEFAULT_MODEL_DIR})
  --input FILE     Handbook CSV
  --from DATE      first day to write scores for (UTC)
  --output FILE    where to write the scores CSV ("-" for stdout)
  -h, --help       this text`;

async function main(argv: string[]): Promise<void> {
  const flags = parseFlags(argv, { model: { type: 'string' }, input: { type: 'string' }, from: { type: 'string' }, output: { type: 'string' } });
  const input = required(flags.input, 'input');
  const output = required(flags.output, 'output');
  const fromMs = dateFlag(flags.from, 'from');
  // The model runs in a worker thread, beside the feature engine on this one; it loads while the
  // replay starts.
  const starting = startScoreWorker(flags.model ?? DEFAULT_MODEL_DIR);
  starting.catch(() => {}); // surfaces through scoreRows, or below

  const sink = output === '-' ? process.stdout : createWriteStream(output);
  const bad = badRowReporter(input);
  const progress = createProgress('score  ');
  let scored = 0;
  const rows = csvRows(input, bad.onBadRow, (fraction) => progress.update(fraction, `${scored} scored`));
  let written: number;
  try {
    written = await scoreRows(rows, starting, { fromMs, sink, onScored: (count) => (scored = count) });
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
  console.error(`${written} scores (model ${scorer.version}) → ${output}`);
}

runCli(usage, main);
