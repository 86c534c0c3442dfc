/**
 * `npm run bench -- score`: the `score` CLI over a Handbook-size file, timed as a user runs it (a whole
 * process: start-up, the replay of every row through the shared feature engine, the model in its
 * worker thread, the output file), against baselines measured in the same run the same way: a process
 * that only parses the CSV, and one that parses it and runs the feature engine. Each is run `--runs`
 * times; the best run is the figure (the machine's memory is shared with other work, and this workload
 * waits on memory), the others are printed too. Peak RSS is each process's own.
 *
 *   npx tsx scripts/bench/score.ts [--input FILE] [--model DIR] [--runs N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readHandbookCsv } from '@fraudstream/shared';
import { DEFAULT_MODEL_DIR } from '@fraudstream/model';
import { CSV_CHUNK_BYTES, replayFeatures } from '@fraudstream/model/replay';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const usage = `Usage: npx tsx scripts/bench/score.ts [--input FILE] [--model DIR] [--runs N]

Times \`npm run score\` over a Handbook CSV (default data/transactions-183d.csv; make it with
\`mkdir -p data && npm run simulate -- --output data/transactions-183d.csv\`, the Handbook-sized run) with
the model (default ${DEFAULT_MODEL_DIR}): scoring from 2018-08-08 (the Handbook's test period) and
scoring every row, next to two baselines run the same way: parsing the CSV alone, and
parsing + the feature engine without the model (every row). Best of --runs (default 3) processes each.
Every process reads every row of the file; \`score\` replays only the rows its scores depend on (from
the features' look-back, 37 days, before --from), with the same scores as replaying them all.`;

/** Reports this process's peak RSS on stderr as it exits, for the parent to read. */
const RSS_REPORTER = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nfraudstream-bench-maxrss '+process.resourceUsage().maxRSS+'\\n'))`;

interface Run {
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  rows: number;
}

/** Runs `node --import tsx <args>` and times the whole process. */
function timeProcess(args: string[]): Run {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ['--import', RSS_REPORTER, '--import', 'tsx', ...args], { cwd: root, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (child.status !== 0) throw new Error(`${args.join(' ')} failed:\n${child.stderr}`);
  const maxRss = Number(/fraudstream-bench-maxrss (\d+)/.exec(child.stderr)?.[1] ?? NaN);
  const usage = /^cpu (\S+)$/m.exec(child.stdout);
  const rows = /^rows (\d+)$/m.exec(child.stdout);
  return { seconds, cpuSeconds: Number(usage?.[1] ?? NaN), maxRssMb: maxRss / 1024, rows: Number(rows?.[1] ?? NaN) };
}

/** The baselines, in a child process of their own: `--child csv|features`. */
async function child(mode: string, input: string): Promise<void> {
  let rows = 0;
  const csv = readHandbookCsv(input, { chunkBytes: CSV_CHUNK_BYTES });
  if (mode === 'csv') for await (const batch of csv) rows += batch.length;
  else for await (const batch of replayFeatures(csv)) rows += batch.rows.length;
  const cpu = process.cpuUsage();
  console.log(`rows ${rows}`);
  console.log(`cpu ${(cpu.user + cpu.system) / 1e6}`);
}

function main(): void {
  const { values } = parseArgs({
    options: { input: { type: 'string' }, model: { type: 'string' }, runs: { type: 'string', default: '3' }, child: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const input = values.input ?? join(root, 'data/transactions-183d.csv');
  const modelDir = values.model ?? DEFAULT_MODEL_DIR;
  const runs = Number(values.runs);
  if (!existsSync(input) || !Number.isInteger(runs) || runs < 1) {
    console.error(`${!existsSync(input) ? `No input CSV at ${input}.` : `Expected --runs to be a positive integer, got ${values.runs}.`}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  if (values.child !== undefined) {
    child(values.child, input).catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
    return;
  }

  const out = mkdtempSync(join(tmpdir(), 'fraudstream-bench-score-'));
  const self = fileURLToPath(import.meta.url);
  const score = (from: string): string[] => ['model/src/cli/score.ts', '--model', modelDir, '--input', input, '--from', from, '--output', join(out, 'scores.csv')];
  const cases: Array<{ label: string; args: string[] }> = [
    { label: 'baseline: parse the CSV only', args: [self, '--child', 'csv', '--input', input] },
    { label: 'baseline: parse + feature engine', args: [self, '--child', 'features', '--input', input] },
    { label: 'score --from 2018-08-08', args: score('2018-08-08') },
    { label: 'score every row', args: score('2018-04-01') },
  ];
  console.log(`input ${input}; model ${modelDir}; whole processes (node + tsx start-up included), best of ${runs}; rows/s over the file's rows (each process reads them all)`);
  try {
    let rows = NaN;
    for (const { label, args } of cases) {
      const results = Array.from({ length: runs }, () => timeProcess(args));
      const best = results.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      if (Number.isNaN(rows)) rows = best.rows;
      const cpu = Number.isNaN(best.cpuSeconds) ? '' : ` (${best.cpuSeconds.toFixed(2)} s CPU)`;
      console.log(
        `${label.padEnd(42)} ${best.seconds.toFixed(2).padStart(6)} s${cpu}  ${Math.round(rows / best.seconds).toLocaleString('en-US')} rows/s  peak RSS ${Math.round(best.maxRssMb)} MB  ` +
          `[all runs: ${results.map((run) => run.seconds.toFixed(2)).join(', ')} s; load ${loadavg()[0]?.toFixed(1)} on 2 cores]`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main();
