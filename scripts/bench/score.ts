/**
 * `npm run bench -- score`: the offline `score` path (Handbook CSV → shared feature engine with the
 * in-memory store → model → scores CSV) over a Handbook-size file, against a baseline measured in
 * the same run: reading and parsing the same CSV and nothing else. Each measurement runs in its own
 * child process so its peak RSS is its own.
 *
 *   npx tsx scripts/bench/score.ts [--input FILE] [--model DIR]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { readHandbookCsv } from '@fraudstream/shared';
import { DEFAULT_MODEL_DIR } from '@fraudstream/model';
import { replayFeatures } from '@fraudstream/model/replay';
import { scoreRows, startScoreWorker } from '@fraudstream/model/score';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const usage = `Usage: npx tsx scripts/bench/score.ts [--input FILE] [--model DIR]

Times \`npm run score\`'s work over a Handbook CSV (default /work/data/transactions-183d.csv, else
data/transactions-183d.csv) with the model (default ${DEFAULT_MODEL_DIR}), next to two baselines run
the same way: parsing the CSV alone, and parsing + feature replay without the model.`;

type Mode = 'csv' | 'features' | 'score';

interface Measurement {
  mode: Mode;
  rows: number;
  seconds: number;
  maxRssMb: number;
  /** User + system CPU time of the process: less sensitive than wall time to other work on a shared machine. */
  cpuSeconds: number;
  backend?: string;
  load: number;
}

async function measure(mode: Mode, input: string, modelDir: string): Promise<Measurement> {
  // As `npm run score` does: the model in a worker thread (its start-up is outside the timing, as before).
  const scorer = mode === 'score' ? await startScoreWorker(modelDir) : undefined;
  const backend = scorer?.backend;
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  let rows = 0;
  if (mode === 'csv') {
    for await (const batch of readHandbookCsv(input)) rows += batch.length;
  } else if (mode === 'features') {
    for await (const batch of replayFeatures(readHandbookCsv(input))) rows += batch.rows.length;
  } else {
    const sink = createWriteStream('/dev/null');
    rows = await scoreRows(readHandbookCsv(input), scorer!, { fromMs: -Infinity, sink });
    await scorer!.close();
    sink.end();
    await once(sink, 'finish');
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  return { mode, rows, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024, cpuSeconds: (cpu.user + cpu.system) / 1e6, load: loadavg()[0]!, ...(backend ? { backend } : {}) };
}

function main(): void {
  const { values } = parseArgs({ options: { input: { type: 'string' }, model: { type: 'string' }, child: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(usage);
    return;
  }
  const input = values.input ?? ['/work/data/transactions-183d.csv', join(root, 'data/transactions-183d.csv')].find((path) => existsSync(path));
  const modelDir = values.model ?? DEFAULT_MODEL_DIR;
  if (input === undefined || !existsSync(input)) {
    console.error(`No input CSV found; make one with \`npm run simulate\` or pass --input.\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  if (values.child !== undefined) {
    measure(values.child as Mode, input, modelDir)
      .then((result) => console.log(JSON.stringify(result)))
      .catch((err: unknown) => {
        console.error(err);
        process.exit(1);
      });
    return;
  }
  console.log(`input ${input}; model ${modelDir}`);
  const results: Measurement[] = [];
  for (const mode of ['csv', 'features', 'score'] as const) {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, '--input', input, '--model', modelDir], { cwd: root, encoding: 'utf8' });
    if (child.status !== 0) {
      console.error(child.stderr);
      process.exitCode = 1;
      return;
    }
    results.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Measurement);
  }
  const label: Record<Mode, string> = {
    csv: 'baseline: parse the CSV only',
    features: 'parse + feature engine (memory store)',
    score: 'score: parse + features + model + write',
  };
  for (const result of results) {
    console.log(
      `${label[result.mode].padEnd(42)} ${result.rows} rows  ${result.seconds.toFixed(2).padStart(6)} s wall (${result.cpuSeconds.toFixed(2)} s CPU)  ${Math.round(result.rows / result.seconds).toLocaleString('en-US').padStart(10)} rows/s  peak RSS ${Math.round(result.maxRssMb)} MB  (load ${result.load.toFixed(1)} on 2 cores${result.backend ? `; TensorFlow.js ${result.backend}` : ''})`,
    );
  }
}

main();
