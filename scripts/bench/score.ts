/**
 * `npm run bench -- score`: the `score` CLI over a Handbook-size file, timed as a user runs it (a whole
 * process: start-up, reading every row, the features, the model, the output file), against peers and
 * baselines measured in the same run the same way, each in a child process of its own:
 * - DuckDB (`@duckdb/node-api`): the Handbook's 15 baseline features as window SQL, CSV → Parquet;
 * - pandas (when a python3 with pandas is there): the Handbook's own feature code, CSV → 15 features;
 * - parsing the CSV alone, and parsing + the feature engine without the model, for the offline path
 *   (`readHandbookColumns`, `computeOfflineFeatures`) and the streaming one (`readHandbookCsv`,
 *   `replayFeatures`, what `score` ran before and still runs for files the offline path does not take).
 * Each is run `--runs` times, round-robin (one run of each, then the next round); the best run is the
 * figure (the machine is shared: other work slows some runs), the others are printed too, with the load
 * average before each. Then a check that DuckDB's features agree
 * with ours on a sample of rows.
 *
 *   npx tsx scripts/bench/score.ts [--input FILE] [--model DIR] [--runs N] [--pandas-runs N] [--no-streaming]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readHandbookColumns } from '@fraudstream/shared/csv/columnar';
import { computeOfflineFeatures } from '@fraudstream/shared/features/offline';
import { FEATURE_NAMES } from '@fraudstream/shared/features/names';
import { DEFAULT_MODEL_DIR } from '@fraudstream/model/default-model';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const usage = `Usage: npx tsx scripts/bench/score.ts [--input FILE] [--model DIR] [--runs N] [--pandas-runs N] [--no-streaming]

Times \`npm run score\` over a Handbook CSV (default data/transactions-183d.csv; make it with
\`mkdir -p data && npm run simulate -- --output data/transactions-183d.csv\`, the Handbook-sized run) with
the model (default ${DEFAULT_MODEL_DIR}), scoring every row and from 2018-08-08 (the Handbook's test
period), next to, run the same way: DuckDB computing the Handbook's 15 baseline features with window
SQL (CSV → Parquet), the Handbook's pandas feature code (if python3 has pandas: apt-get install
python3-pandas), and baselines: parsing the CSV alone and parsing + the feature engine (every row),
offline and streaming (--no-streaming leaves the streaming ones out). Best of --runs (default 3)
processes each; pandas --pandas-runs (default 1: it takes about a minute).`;

/** Reports a node process's peak RSS and CPU time (all its threads) on stderr as it exits, for the parent to read. */
const RSS_REPORTER = `data:text/javascript,process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('\\nfraudstream-bench-maxrss '+u.maxRSS+' cpu '+(u.userCPUTime+u.systemCPUTime)/1e6+'\\n')})`;

interface Run {
  seconds: number;
  cpuSeconds: number;
  maxRssMb: number;
  rows: number;
  load: number;
}

/** Runs a command and times the whole process. */
function timeProcess(command: string, args: string[]): Run {
  const load = loadavg()[0] ?? NaN;
  const started = process.hrtime.bigint();
  const child = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (child.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${child.stderr}`);
  const report = /fraudstream-bench-maxrss (\d+) cpu (\S+)/.exec(child.stderr);
  const maxRss = Number(report?.[1] ?? NaN);
  const printed = /^cpu (\S+)$/m.exec(child.stdout);
  const rows = /^rows (\d+)$/m.exec(child.stdout);
  return { seconds, cpuSeconds: Number(report?.[2] ?? printed?.[1] ?? NaN), maxRssMb: maxRss / 1024, rows: Number(rows?.[1] ?? NaN), load };
}

const node = (args: string[]): [string, string[]] => [process.execPath, ['--import', RSS_REPORTER, '--import', 'tsx', ...args]];

/** The peers and baselines, each in a child process of its own: `--child NAME` (each imports only what it runs). */
async function child(mode: string, input: string, output: string): Promise<void> {
  let rows = 0;
  if (mode === 'duckdb') {
    const { runDuckdbFeatures } = await import('./support/duckdb-features.js');
    rows = await runDuckdbFeatures(input, output);
  } else if (mode === 'columns' || mode === 'offline-features') {
    const columns = await readHandbookColumns(input);
    if (columns === undefined) throw new Error(`${input} is not a plain Handbook CSV: the offline path does not take it`);
    if (mode === 'offline-features') computeOfflineFeatures(columns);
    rows = columns.n;
  } else {
    const [{ readHandbookCsv }, { CSV_CHUNK_BYTES, replayFeatures }] = await Promise.all([import('@fraudstream/shared/csv'), import('@fraudstream/model/replay')]);
    const csv = readHandbookCsv(input, { chunkBytes: CSV_CHUNK_BYTES });
    if (mode === 'csv') for await (const batch of csv) rows += batch.length;
    else for await (const batch of replayFeatures(csv)) rows += batch.rows.length;
  }
  const cpu = process.cpuUsage();
  console.log(`rows ${rows}`);
  console.log(`cpu ${(cpu.user + cpu.system) / 1e6}`);
}

/** A python3 that imports pandas, if there is one. */
function pandasPython(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    if (spawnSync(python, ['-c', 'import pandas'], { stdio: 'ignore' }).status === 0) return python;
  }
  return undefined;
}

/** How DuckDB's features compare with ours on the rows DuckDB sampled (every 997th transaction). */
async function checkAgainstDuckdb(input: string, parquet: string): Promise<string> {
  const { DUCKDB_FEATURES, readDuckdbSample } = await import('./support/duckdb-features.js');
  const sample = await readDuckdbSample(parquet, 997);
  const columns = await readHandbookColumns(input);
  if (columns === undefined) return 'check skipped: the offline path does not take this file';
  const ours = computeOfflineFeatures(columns);
  const rowOf = new Map<number, number>();
  for (let row = 0; row < columns.n; row++) rowOf.set(columns.transactionIds[row]!, row);
  const width = FEATURE_NAMES.length;
  let compared = 0;
  const off = new Map<string, number>();
  for (const sampled of sample) {
    const row = rowOf.get(sampled.transactionId);
    if (row === undefined) continue;
    compared++;
    for (const name of DUCKDB_FEATURES) {
      const theirs = sampled.features[name]!;
      const mine = ours[row * width + FEATURE_NAMES.indexOf(name)]!;
      // float32 against double: equal to float32 precision.
      if (Math.abs(theirs - mine) > 1e-5 * Math.max(1, Math.abs(theirs))) off.set(name, (off.get(name) ?? 0) + 1);
    }
  }
  const values = compared * DUCKDB_FEATURES.length;
  const differing = [...off.values()].reduce((sum, count) => sum + count, 0);
  const detail = [...off].map(([name, count]) => `${name} ${count}`).join(', ');
  return (
    `check: DuckDB's 15 features against fraudstream's on ${compared.toLocaleString('en-US')} sampled rows: ` +
    `${(((values - differing) / values) * 100).toFixed(3)} % of values agree (to 1e-5 relative)` +
    (differing > 0 ? `; differing: ${detail} (same-second ties: DuckDB's RANGE frame takes a row's peers, the engine only earlier ids)` : '')
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      input: { type: 'string' },
      model: { type: 'string' },
      runs: { type: 'string', default: '3' },
      'pandas-runs': { type: 'string', default: '1' },
      'no-streaming': { type: 'boolean', default: false },
      child: { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const input = values.input ?? join(root, 'data/transactions-183d.csv');
  const modelDir = values.model ?? DEFAULT_MODEL_DIR;
  const runs = Number(values.runs);
  const pandasRuns = Number(values['pandas-runs']);
  if (!existsSync(input) || !Number.isInteger(runs) || runs < 1 || !Number.isInteger(pandasRuns) || pandasRuns < 0) {
    console.error(`${!existsSync(input) ? `No input CSV at ${input}.` : `Expected --runs >= 1 and --pandas-runs >= 0 as integers, got ${values.runs}, ${values['pandas-runs']}.`}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  if (values.child !== undefined) {
    await child(values.child, input, values.output ?? '');
    return;
  }

  const out = mkdtempSync(join(tmpdir(), 'fraudstream-bench-score-'));
  const self = fileURLToPath(import.meta.url);
  const parquet = join(out, 'features.parquet');
  const score = (from: string): [string, string[]] => node(['model/src/cli/score.ts', '--model', modelDir, '--input', input, '--from', from, '--output', join(out, 'scores.csv')]);
  const python = pandasPython();
  const cases: Array<{ key: string; label: string; command: [string, string[]]; runs: number }> = [
    { key: 'duckdb', label: 'DuckDB: 15 features (CSV → Parquet)', command: node([self, '--child', 'duckdb', '--input', input, '--output', parquet]), runs },
    ...(python === undefined || pandasRuns === 0
      ? []
      : [{ key: 'pandas', label: 'pandas: Handbook 15 features (CSV →)', command: [python, ['scripts/bench/support/handbook_features.py', input]] as [string, string[]], runs: pandasRuns }]),
    { key: 'columns', label: 'baseline: parse only (offline)', command: node([self, '--child', 'columns', '--input', input]), runs },
    { key: 'offline-features', label: 'baseline: parse + features (offline)', command: node([self, '--child', 'offline-features', '--input', input]), runs },
    ...(values['no-streaming']
      ? []
      : [
          { key: 'csv', label: 'baseline: parse only (streaming)', command: node([self, '--child', 'csv', '--input', input]), runs },
          { key: 'features', label: 'baseline: parse + features (streaming)', command: node([self, '--child', 'features', '--input', input]), runs },
        ]),
    { key: 'from', label: 'score --from 2018-08-08', command: score('2018-08-08'), runs },
    { key: 'every', label: 'score every row', command: score('2018-04-01'), runs },
  ];
  console.log(
    `input ${input}; model ${modelDir}; whole processes (start-up included), best of ${runs}; rows/s over the file's rows (each process reads them all); ` +
      `load average before each run, on ${2} cores`,
  );
  if (python === undefined) console.log('pandas: no python3 with pandas here (apt-get install python3-pandas): its peer is left out');
  try {
    // Round-robin: run 1 of every case, then run 2 of every case…, so a change of the machine's load
    // during the run falls on all of them alike.
    const results = new Map<string, Run[]>(cases.map(({ key }) => [key, []]));
    for (let round = 0; round < Math.max(...cases.map((entry) => entry.runs)); round++) {
      for (const { key, command, runs: count } of cases) if (round < count) results.get(key)!.push(timeProcess(...command));
    }
    let rows = NaN;
    const best = new Map<string, number>();
    for (const { key, label } of cases) {
      const runsOf = results.get(key)!;
      const fastest = runsOf.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      best.set(key, fastest.seconds);
      if (Number.isNaN(rows) && Number.isFinite(fastest.rows)) rows = fastest.rows;
      const cpu = Number.isNaN(fastest.cpuSeconds) ? '' : ` (${fastest.cpuSeconds.toFixed(2)} s CPU)`;
      const rss = Number.isNaN(fastest.maxRssMb) ? '' : `  peak RSS ${Math.round(fastest.maxRssMb)} MB`;
      console.log(
        `${label.padEnd(40)} ${fastest.seconds.toFixed(2).padStart(6)} s${cpu}  ${Math.round(rows / fastest.seconds).toLocaleString('en-US')} rows/s${rss}  ` +
          `[runs: ${runsOf.map((run) => `${run.seconds.toFixed(2)} s @ load ${run.load.toFixed(1)}`).join(', ')}]`,
      );
    }
    const every = best.get('every')!;
    const ratio = (key: string, name: string): string | undefined => {
      const peer = best.get(key);
      return peer === undefined ? undefined : `${name} ${peer.toFixed(2)} s / score every row ${every.toFixed(2)} s = ${(peer / every).toFixed(2)}×`;
    };
    console.log(['ratios:', ratio('duckdb', 'DuckDB'), ratio('pandas', 'pandas')].filter(Boolean).join(' '));
    console.log(await checkAgainstDuckdb(input, parquet));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
