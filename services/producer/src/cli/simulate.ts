/**
 * `npm run simulate -- [options] --output FILE`: the Handbook's transaction simulator written to a
 * Handbook CSV for offline training, sorted by time.
 */
import { parseArgs } from 'node:util';
import { DAY_MS, FraudstreamError, isFraudstreamError } from '@fraudstream/shared';
import { createSimulator, simulatorDefaults } from '../simulator/simulator.js';
import { writeSimulationCsv, type SimulationSummary } from '../simulator/write-csv.js';
import { createProgressBar } from './progress.js';

const usage = `Usage: npm run simulate -- [options] --output FILE

Simulates card payments as in the Fraud Detection Handbook (customers, terminals, three fraud
scenarios) and writes them as a Handbook CSV sorted by time:
TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO

Options:
  --output FILE      where to write the CSV (required; written aside, then renamed into place)
  --customers N      number of customers (default ${simulatorDefaults.customers})
  --terminals N      number of terminals (default ${simulatorDefaults.terminals})
  --days N           days to simulate (default 183)
  --start DATE       first day, YYYY-MM-DD in UTC (default 2018-04-01)
  --seed N           random seed, 0 to 4294967295; the same seed gives the same file (default ${simulatorDefaults.seed})
  --radius R         distance within which customers use terminals (default ${simulatorDefaults.radius})
  -h, --help         show this help

Example:
  npm run simulate -- --customers 5000 --terminals 10000 --days 183 --start 2018-04-01 --seed 0 --output data.csv`;

function wholeNumber(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new FraudstreamError('USAGE_INVALID', `Expected --${name} to be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function parseOptions(args: string[]) {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      output: { type: 'string' },
      customers: { type: 'string' },
      terminals: { type: 'string' },
      days: { type: 'string' },
      start: { type: 'string' },
      seed: { type: 'string' },
      radius: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  if (values.output === undefined || values.output === '') throw new FraudstreamError('USAGE_INVALID', 'Expected --output FILE');
  const startText = values.start ?? '2018-04-01';
  const startMs = /^\d{4}-\d{2}-\d{2}$/.test(startText) ? Date.parse(`${startText}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(startMs) || new Date(startMs).toISOString().slice(0, 10) !== startText) {
    throw new FraudstreamError('USAGE_INVALID', `Expected --start to be a date YYYY-MM-DD, got ${JSON.stringify(startText)}`);
  }
  const radius = values.radius === undefined ? simulatorDefaults.radius : Number(values.radius);
  if (!(radius > 0) || !Number.isFinite(radius)) throw new FraudstreamError('USAGE_INVALID', `Expected --radius to be a number > 0, got ${JSON.stringify(values.radius)}`);
  return {
    output: values.output,
    customers: wholeNumber('customers', values.customers, simulatorDefaults.customers, 1, 1_000_000),
    terminals: wholeNumber('terminals', values.terminals, simulatorDefaults.terminals, 2, 1_000_000),
    days: wholeNumber('days', values.days, 183, 1, 36_500),
    seed: wholeNumber('seed', values.seed, simulatorDefaults.seed, 0, 2 ** 32 - 1),
    startMs,
    radius,
  };
}

function summaryText(summary: SimulationSummary, output: string, seconds: number): string {
  const count = (n: number) => n.toLocaleString('en');
  const [, s1, s2, s3] = summary.scenarios;
  return [
    `wrote ${output}`,
    `  days          ${summary.days}`,
    `  transactions  ${count(summary.transactions)} (${count(Math.round(summary.transactions / summary.days))} a day)`,
    `  frauds        ${count(summary.frauds)} (${((100 * summary.frauds) / Math.max(1, summary.transactions)).toFixed(3)} %)`,
    `  by scenario   1: ${count(s1)}  2: ${count(s2)}  3: ${count(s3)}`,
    `  time          ${seconds.toFixed(1)} s (${count(Math.round(summary.transactions / seconds))} rows/s)`,
  ].join('\n');
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (!isFraudstreamError(err, 'USAGE_INVALID') && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') !== true) throw err;
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  if (options === undefined) {
    console.log(usage);
    return;
  }
  const startedAt = performance.now();
  const simulator = createSimulator(options);
  const progress = createProgressBar(options.days, 'simulating');
  const summary = await writeSimulationCsv({
    simulator,
    days: options.days,
    output: options.output,
    onDay: (sofar) =>
      progress.update(
        sofar.days,
        `${new Date(options.startMs + sofar.days * DAY_MS - DAY_MS).toISOString().slice(0, 10)} ${sofar.transactions.toLocaleString('en')} rows`,
      ),
  });
  progress.done();
  console.log(summaryText(summary, options.output, (performance.now() - startedAt) / 1000));
}

main().catch((err: unknown) => {
  console.error(isFraudstreamError(err) ? err.message : err);
  process.exit(1);
});
