/**
 * `npm run bench [-- NAME …]`: runs the benchmark scripts in scripts/bench/ (all by default) and
 * prints their numbers. Each benchmark measures its baseline in the same run.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = join(dirname(fileURLToPath(import.meta.url)), 'bench');
const available = readdirSync(benchDir)
  .filter((name) => name.endsWith('.ts'))
  .map((name) => name.slice(0, -3))
  .sort();

const usage = `Usage: npm run bench [-- NAME ...]

Runs benchmark scripts from scripts/bench/ and prints their numbers (never a pass/fail).
Available: ${available.join(', ') || '(none yet)'}
Pass extra options to one benchmark with: npx tsx scripts/bench/NAME.ts --help`;

function main(): void {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    return;
  }
  const unknown = args.filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    console.error(`Unknown benchmark(s): ${unknown.join(', ')}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  for (const name of args.length > 0 ? args : available) {
    console.log(`\n=== bench: ${name} ===`);
    const result = spawnSync(process.execPath, ['--import', 'tsx', join(benchDir, `${name}.ts`)], { stdio: 'inherit' });
    if (result.status !== 0) process.exitCode = 1;
  }
}

main();
