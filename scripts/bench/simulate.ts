/**
 * Simulator benchmark (`npm run bench -- simulate`): the full default run of `npm run simulate`
 * (5,000 customers, 10,000 terminals, 183 days, seed 0) to a temporary file, split into its parts:
 * generating the payments alone, and the baseline of encoding and writing as many rows that were
 * computed beforehand (one simulated day written over and over). Prints numbers only.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHandbookCsvWriter } from '@fraudstream/shared';
import { createSimulator } from '../../services/producer/src/simulator/simulator.js';
import { writeSimulationCsv } from '../../services/producer/src/simulator/write-csv.js';

const usage = `Usage: npx tsx scripts/bench/simulate.ts [--days N]

  --days N   days to simulate (default 183, the Handbook's run)`;

function parseOptions(): { days: number } | undefined {
  try {
    const { values } = parseArgs({ options: { days: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
    if (values.help) return undefined;
    const days = Number(values.days ?? 183);
    if (!Number.isInteger(days) || days < 1) throw new Error(`Expected --days to be a whole number >= 1, got ${values.days}`);
    return { days };
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

const seconds = (from: number) => (performance.now() - from) / 1000;
const perSecond = (rows: number, elapsed: number) => Math.round(rows / elapsed).toLocaleString('en');

async function main(): Promise<void> {
  const options = parseOptions();
  if (options === undefined) {
    console.log(usage);
    return;
  }
  const { days } = options;
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-bench-simulate-'));
  try {
    let started = performance.now();
    const profiled = createSimulator({ seed: 0 });
    const profileSeconds = seconds(started);
    started = performance.now();
    let generated = 0;
    for (let day = 0; day < days; day++) generated += profiled.nextDay().length;
    const generateSeconds = seconds(started);

    const output = join(dir, 'full.csv');
    started = performance.now();
    const summary = await writeSimulationCsv({ simulator: createSimulator({ seed: 0 }), days, output });
    const fullSeconds = seconds(started);
    const bytes = statSync(output).size;
    rmSync(output);

    // Baseline: the same number of rows, computed beforehand, only encoded and written.
    const oneDay = createSimulator({ seed: 0 }).nextDay();
    const baselineOutput = join(dir, 'baseline.csv');
    started = performance.now();
    const writer = createHandbookCsvWriter(baselineOutput, { bufferBytes: 1 << 22 });
    for (let written = 0; written < summary.transactions; ) {
      for (let i = 0; i < oneDay.length && written < summary.transactions; i++, written++) {
        const wait = writer.write(oneDay[i]!);
        if (wait) await wait;
      }
    }
    await writer.close();
    const baselineSeconds = seconds(started);

    console.log(`simulate: ${days} days, 5,000 customers, 10,000 terminals, seed 0`);
    console.log(`  rows                               ${summary.transactions.toLocaleString('en')} (${(bytes / 1e6).toFixed(1)} MB)`);
    console.log(`  full run (generate + write CSV)    ${fullSeconds.toFixed(2)} s   ${perSecond(summary.transactions, fullSeconds)} rows/s`);
    console.log(`  profiles (customers, terminals)    ${profileSeconds.toFixed(2)} s`);
    console.log(`  generate only                      ${generateSeconds.toFixed(2)} s   ${perSecond(generated, generateSeconds)} rows/s`);
    console.log(`  baseline: encode + write as many`);
    console.log(`    rows computed beforehand         ${baselineSeconds.toFixed(2)} s   ${perSecond(summary.transactions, baselineSeconds)} rows/s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
