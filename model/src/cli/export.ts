/**
 * `npm run export -- --since 30d --output history.csv`: the system's own history, from Kafka, as a
 * Handbook CSV that `npm run train` and `npm run evaluate` read.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BaseEnv, KafkaEnv, createKafka, createLogger, loadConfig, topics } from '@fraudstream/shared';
import { exportHistory, type ExportResult } from '../export/export-history.js';
import { parseSince } from '../export/since.js';
import { usageError, parseFlags, runCli } from './args.js';

const usage = `Usage: npm run export -- --output FILE [--since 30d] [options]

Reads the transactions and the fraud labels (chargebacks and analyst feedback) that reached Kafka
since a point in time and writes them as a Handbook CSV (TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,
TERMINAL_ID,TX_AMOUNT,TX_FRAUD,TX_FRAUD_SCENARIO), sorted by event time.
TX_FRAUD is each transaction's latest label: 1 for a chargeback or an analyst's "fraud", 0 when an
analyst said "legit" or no label has arrived yet; TX_FRAUD_SCENARIO is 0 (the live system does
not know the scenario). Reads committed data only, up to the end of each
partition as it is when the export starts; consumer groups of the running services are not touched.

  --output FILE               where to write the CSV (required; written whole or not at all)
  --since WHEN                records appended since: a duration back from now (30d, 12h, 90m, 2w),
                              a UTC date (2026-01-31) or a timestamp (2026-01-31T12:00:00Z); default 30d
  --transactions-topic NAME   default ${topics.transactions}
  --labels-topic NAME         default ${topics.labels}
  --idle-timeout SECONDS      stop waiting for a partition that does not advance (default 30)
  -h, --help                  show this help

Environment: KAFKA_BROKERS (default 127.0.0.1:9092; the docker compose broker is localhost:9092 too),
KAFKA_SSL, KAFKA_SASL_*, LOG_LEVEL.
Then: npm run train -- --input FILE --from … --to … --out DIR`;

const ExportEnv = BaseEnv.extend(KafkaEnv.shape);

function progressLine(done: bigint, total: bigint, startedAt: number): string {
  const fraction = total === 0n ? 1 : Number(done) / Number(total);
  const width = 30;
  const filled = Math.round(fraction * width);
  const seconds = (Date.now() - startedAt) / 1000;
  const rate = seconds > 0 ? Math.round(Number(done) / seconds) : 0;
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(1)}% ${done}/${total} messages, ${rate}/s `;
}

function summaryText(result: ExportResult, seconds: number): string {
  const lines = [
    `Wrote ${result.transactions} transactions to ${result.output} in ${seconds.toFixed(1)} s`,
    `  event time: ${result.firstTimestamp ?? '-'} … ${result.lastTimestamp ?? '-'}`,
    `  fraud: ${result.fraud} (chargeback ${result.fraudBySource.chargeback}, analyst ${result.fraudBySource.analyst}); marked legit by an analyst: ${result.legitByAnalyst}`,
    `  labels read: ${result.labels} (${result.unmatchedLabels} for transactions outside the export)`,
  ];
  if (result.duplicateTransactions > 0) lines.push(`  duplicate transaction ids skipped: ${result.duplicateTransactions}`);
  if (result.invalidTransactions + result.invalidLabels > 0) {
    lines.push(`  invalid messages skipped: ${result.invalidTransactions} transactions, ${result.invalidLabels} labels`);
  }
  for (const [topic, partitions] of Object.entries(result.incomplete)) {
    lines.push(`  WARNING: ${topic} partitions ${partitions.join(', ')} stopped advancing before their end (an open transaction?)`);
  }
  lines.push('  Labels arrive about a week after their transaction: the last week is still mostly unlabeled.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<void> {
  const values = parseFlags(argv, {
    output: { type: 'string' },
    since: { type: 'string', default: '30d' },
    'transactions-topic': { type: 'string', default: topics.transactions },
    'labels-topic': { type: 'string', default: topics.labels },
    'idle-timeout': { type: 'string', default: '30' },
  });
  if (!values.output) throw usageError('Expected --output FILE');
  const sinceMs = parseSince(values.since);
  if (sinceMs === undefined) {
    throw usageError(`Expected --since to be a duration such as 30d or a date such as 2026-01-31, got ${JSON.stringify(values.since)}`);
  }
  const idleTimeout = Number(values['idle-timeout']);
  if (!(Number.isFinite(idleTimeout) && idleTimeout > 0)) {
    throw usageError(`Expected --idle-timeout to be a number of seconds > 0, got ${JSON.stringify(values['idle-timeout'])}`);
  }
  const output = resolve(values.output);
  const directory = dirname(output);
  try {
    if (!statSync(directory).isDirectory()) throw new Error('not a directory');
    accessSync(directory, constants.W_OK);
  } catch {
    throw usageError(`Cannot write --output ${values.output}: ${directory} is not a writable directory`);
  }

  const env = loadConfig(ExportEnv);
  const log = createLogger({ name: 'export', level: env.LOG_LEVEL });
  const kafka = createKafka({ env, log, clientId: 'fraudstream-export' });
  const onTerminal = process.stderr.isTTY === true;
  const startedAt = Date.now();
  let lastDrawn = 0;
  console.error(`Exporting ${values['transactions-topic']} and ${values['labels-topic']} since ${new Date(sinceMs).toISOString()} from ${env.KAFKA_BROKERS.join(',')}`);
  const result = await exportHistory({
    kafka,
    transactionsTopic: values['transactions-topic'],
    labelsTopic: values['labels-topic'],
    sinceMs,
    output,
    log,
    idleTimeoutMs: idleTimeout * 1000,
    onProgress: (done, total) => {
      if (!onTerminal || (Date.now() - lastDrawn < 100 && done < total)) return;
      lastDrawn = Date.now();
      process.stderr.write(progressLine(done, total, startedAt));
    },
  });
  if (onTerminal) process.stderr.write('\n');
  console.log(summaryText(result, (Date.now() - startedAt) / 1000));
}

runCli(usage, main);
