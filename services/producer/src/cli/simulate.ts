/**
 * `npm run simulate -- [options] --output FILE`: the Handbook's transaction simulator written to a
 * Handbook CSV for offline training, sorted by time.
 */
import { parseArgs } from 'node:util';
import { DAY_MS, FraudstreamError, isFraudstreamError } from '@fraudstream/shared';
import { driftFor } from '../drift.js';
import { createSimulator, simulatorDefaults, type SimulatorDrift } from '../simulator/simulator.js';
import { writeSimulationCsv, type SimulationSummary } from '../simulator/write-csv.js';
import { createProgressBar } from './progress.js';

const usage = `Usage: npm run simulate -- [options] --output FILE

Simulates card payments as in the Fraud Detection Handbook (customers, terminals, three fraud
scenarios) and writes them as a Handbook CSV sorted by time:
TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO
A drift (as the producer's: npm run producer -- --help) changes the world from one day on.

Options:
  --output FILE      where to write the CSV (required; written aside, then renamed into place)
  --customers N      number of customers (default ${simulatorDefaults.customers})
  --terminals N      number of terminals (default ${simulatorDefaults.terminals})
  --days N           days to simulate (default 183)
  --start DATE       first day, YYYY-MM-DD in UTC (default 2018-04-01)
  --seed N           random seed, 0 to 4294967295; the same seed gives the same file (default ${simulatorDefaults.seed})
  --radius R         distance within which customers use terminals (default ${simulatorDefaults.radius})
  -h, --help         show this help

Drift (from one day on; a day needs the factor or the scenario, and they need a day):
  --drift-at DATE    first drifted day, YYYY-MM-DD in UTC, within the simulated days
  --drift-after-days N
                     the same as days after --start (one of the two, not both)
  --drift-amount-factor F
                     every amount of the customers' payments is multiplied by F (> 0, at most 100;
                     labels stay as they were) (default 1)
  --drift-scenario   card testing, a new fraud scenario (TX_FRAUD_SCENARIO 4): bursts of small
                     payments on terminals the card never uses

Examples:
  npm run simulate -- --customers 5000 --terminals 10000 --days 183 --start 2018-04-01 --seed 0 --output data.csv
  npm run simulate -- --days 120 --drift-after-days 90 --drift-amount-factor 2 --drift-scenario --output drift.csv`;

function wholeNumber(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new FraudstreamError('USAGE_INVALID', `Expected --${name} to be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

function utcDay(name: string, text: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text) {
    throw new FraudstreamError('USAGE_INVALID', `Expected --${name} to be a date YYYY-MM-DD, got ${JSON.stringify(text)}`);
  }
  return ms;
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
      'drift-at': { type: 'string' },
      'drift-after-days': { type: 'string' },
      'drift-amount-factor': { type: 'string' },
      'drift-scenario': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return undefined;
  if (values.output === undefined || values.output === '') throw new FraudstreamError('USAGE_INVALID', 'Expected --output FILE');
  const startMs = utcDay('start', values.start ?? '2018-04-01');
  const days = wholeNumber('days', values.days, 183, 1, 36_500);
  const factorText = values['drift-amount-factor'];
  const amountFactor = factorText === undefined ? 1 : Number(factorText);
  if (!(amountFactor > 0 && amountFactor <= 100)) {
    throw new FraudstreamError('USAGE_INVALID', `Expected --drift-amount-factor to be a number > 0 and at most 100, got ${JSON.stringify(factorText)}`);
  }
  if (values['drift-at'] !== undefined) utcDay('drift-at', values['drift-at']);
  const drift = driftFor(
    {
      at: values['drift-at'],
      afterDays: values['drift-after-days'] === undefined ? undefined : wholeNumber('drift-after-days', values['drift-after-days'], 0, 0, 36_500),
      amountFactor,
      cardTesting: values['drift-scenario'] === true,
    },
    startMs,
  );
  if (drift !== undefined && drift.fromMs >= startMs + days * DAY_MS) {
    throw new FraudstreamError('USAGE_INVALID', `Expected the drift day within the ${days} simulated days, got ${new Date(drift.fromMs).toISOString().slice(0, 10)}`);
  }
  const radius = values.radius === undefined ? simulatorDefaults.radius : Number(values.radius);
  if (!(radius > 0) || !Number.isFinite(radius)) throw new FraudstreamError('USAGE_INVALID', `Expected --radius to be a number > 0, got ${JSON.stringify(values.radius)}`);
  return {
    output: values.output,
    customers: wholeNumber('customers', values.customers, simulatorDefaults.customers, 1, 1_000_000),
    terminals: wholeNumber('terminals', values.terminals, simulatorDefaults.terminals, 2, 1_000_000),
    days,
    seed: wholeNumber('seed', values.seed, simulatorDefaults.seed, 0, 2 ** 32 - 1),
    startMs,
    radius,
    drift,
  };
}

function driftText(drift: SimulatorDrift): string {
  const changes = [
    ...(drift.amountFactor === 1 ? [] : [`amounts × ${drift.amountFactor}`]),
    ...(drift.cardTesting ? ['card testing (scenario 4)'] : []),
  ];
  return `  drift         from ${new Date(drift.fromMs).toISOString().slice(0, 10)}: ${changes.join(', ')}`;
}

function summaryText(summary: SimulationSummary, output: string, seconds: number, drift: SimulatorDrift | undefined): string {
  const count = (n: number) => n.toLocaleString('en');
  const [, s1, s2, s3, s4] = summary.scenarios;
  return [
    `wrote ${output}`,
    `  days          ${summary.days}`,
    `  transactions  ${count(summary.transactions)} (${count(Math.round(summary.transactions / summary.days))} a day)`,
    `  frauds        ${count(summary.frauds)} (${((100 * summary.frauds) / Math.max(1, summary.transactions)).toFixed(3)} %)`,
    `  by scenario   1: ${count(s1)}  2: ${count(s2)}  3: ${count(s3)}${drift?.cardTesting === true ? `  4: ${count(s4)}` : ''}`,
    ...(drift === undefined ? [] : [driftText(drift)]),
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
  console.log(summaryText(summary, options.output, (performance.now() - startedAt) / 1000, options.drift));
}

main().catch((err: unknown) => {
  console.error(isFraudstreamError(err) ? err.message : err);
  process.exit(1);
});
