/**
 * Live-stream fan-out benchmark (`npm run bench -- alerts-stream`): how much open SSE streams slow
 * the alerts service's ingestion. In a PostgreSQL database of its own, bursts of alerts are stored
 * through the consumer's path (`storeAlertMessages`: decode, insert in one transaction per 1000)
 * followed by the `notify` that wakes the streams, and each burst is timed to the end of that call.
 * Once with no stream open, once with N real HTTP clients (another process, one socket each,
 * reading their streams) on the app listening on loopback; for the service's feed (one query per
 * wake-up for all live streams) and, as the baseline, the feed that queried the store for each
 * stream (scripts/bench/alerts-stream/per-stream-feed.ts). Prints numbers only.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { cardIdFor, createLogger, encode, terminalIdFor, type Alert } from '@fraudstream/shared';
import { buildApp } from '../../services/alerts/src/app.js';
import { storeAlertMessages } from '../../services/alerts/src/consumer.js';
import { createMetrics, type Metrics } from '../../services/alerts/src/metrics.js';
import { createAlertStore, type AlertStore } from '../../services/alerts/src/store/alert-store.js';
import { openPostgres } from '../../services/alerts/src/store/database.js';
import { createAlertFeed, type AlertFeed } from '../../services/alerts/src/stream/alert-feed.js';
import { createPerStreamAlertFeed } from './alerts-stream/per-stream-feed.js';
import { benchAlert } from './support/alerts.js';

const usage = `Usage: npx tsx scripts/bench/alerts-stream.ts [options]

  --clients N         SSE clients in the loaded phases (default 500)
  --bursts B          bursts timed per phase (default 30, after 3 untimed)
  --burst-size A      alerts per burst (default 500)
  --interval MS       pause after each burst (default 200): what the consumer's next fetch would take
  --seed N            alerts stored before the first phase (default 20000)
  --database-url URL  PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test); the benchmark
                      creates a database alerts_stream_bench_<random> there and drops it at the end

Clients: 1 in 10 unfiltered (the dashboard), the others filtered by minScore=0.95, a terminal or a card.`;

const log = createLogger({ name: 'bench-alerts-stream', level: 'error', pretty: false });
const CARDS = 5_000;
const TERMINALS = 10_000;
const clientQueries = [
  '',
  'minScore=0.95',
  'minScore=0.95',
  'minScore=0.95',
  `terminalId=${terminalIdFor(7)}`,
  `terminalId=${terminalIdFor(11)}`,
  `terminalId=${terminalIdFor(13)}`,
  `cardId=${cardIdFor(42)}`,
  `cardId=${cardIdFor(43)}`,
  `cardId=${cardIdFor(44)}`,
];

interface Options {
  clients: number;
  bursts: number;
  burstSize: number;
  interval: number;
  seed: number;
  databaseUrl: string;
}

function parseOptions(): Options | undefined {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '500' },
      bursts: { type: 'string', default: '30' },
      'burst-size': { type: 'string', default: '500' },
      interval: { type: 'string', default: '200' },
      seed: { type: 'string', default: '20000' },
      'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return undefined;
  }
  const whole = (name: string, text: string, min: number): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new Error(`Expected --${name} to be a whole number >= ${min}, got ${JSON.stringify(text)}`);
    return value;
  };
  return {
    clients: whole('clients', values.clients, 1),
    bursts: whole('bursts', values.bursts, 1),
    burstSize: whole('burst-size', values['burst-size'], 1),
    interval: whole('interval', values.interval, 0),
    seed: whole('seed', values.seed, 0),
    databaseUrl: values['database-url'],
  };
}

let nextAlert = 0;
const REASONS = [
  { feature: 'terminalRisk7d', value: 0.8, typical: 0.02, contribution: 0.41 },
  { feature: 'amountVsCardMean7d', value: 6.2, typical: 1, contribution: 0.17 },
];
function makeAlerts(count: number): Alert[] {
  const detectedAtMs = Date.now();
  return Array.from({ length: count }, () => benchAlert((nextAlert += 1), { cards: CARDS, terminals: TERMINALS, detectedAtMs, reasons: REASONS }));
}

const percentile = (sorted: number[], fraction: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;

interface ClientCounts {
  bytes: number;
  events: number;
  failed: number;
  connected: number;
}

const clientsDir = join(dirname(fileURLToPath(import.meta.url)), 'alerts-stream');

async function startClients(url: string, count: number): Promise<{ child: ChildProcess; counts(): Promise<ClientCounts> }> {
  const child = fork(join(clientsDir, 'sse-clients.ts'), [url, String(count), ...clientQueries], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${count} SSE clients did not connect within 60 s`)), 60_000);
    child.once('exit', (code) => reject(new Error(`SSE clients exited with ${code}`)));
    child.on('message', (message: { type: string }) => {
      if (message.type !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    child,
    counts: () =>
      new Promise((resolve) => {
        const listener = (message: { type: string } & ClientCounts): void => {
          if (message.type !== 'count') return;
          child.off('message', listener);
          resolve(message);
        };
        child.on('message', listener);
        child.send({ type: 'count' });
      }),
  };
}

interface PhaseResult {
  p50: number;
  p95: number;
  max: number;
  clients?: ClientCounts;
}

type FeedFactory = (options: { store: AlertStore; metrics: Metrics }) => AlertFeed;

async function phase(store: AlertStore, makeFeed: FeedFactory, clients: number, options: Options): Promise<PhaseResult> {
  const metrics = createMetrics();
  const feed = makeFeed({ store, metrics });
  const app = await buildApp({
    store,
    labels: { wake: () => {}, problems: () => [] },
    feed,
    metrics,
    apiToken: randomBytes(16).toString('hex'),
    log,
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const sse = clients > 0 ? await startClients(`${address}/alerts/stream`, clients) : undefined;
  try {
    const durations: number[] = [];
    const warmup = 3;
    for (let burst = 0; burst < warmup + options.bursts; burst += 1) {
      const messages = makeAlerts(options.burstSize).map((alert, index) => ({ value: encode(alert), offset: String(index) }));
      const started = performance.now();
      const outcome = await storeAlertMessages(messages, { store, log, topic: 'bench.alerts', partition: 0 });
      if (outcome.stored > 0) feed.notify();
      if (burst >= warmup) durations.push(performance.now() - started);
      await sleep(options.interval);
    }
    durations.sort((a, b) => a - b);
    // Let the streams finish the last burst before counting what the clients read.
    await sleep(1000);
    return {
      p50: percentile(durations, 0.5),
      p95: percentile(durations, 0.95),
      max: durations.at(-1) ?? Number.NaN,
      ...(sse ? { clients: await sse.counts() } : {}),
    };
  } finally {
    sse?.child.send({ type: 'stop' });
    await app.close();
  }
}

async function main(): Promise<void> {
  let options: Options | undefined;
  try {
    options = parseOptions();
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    process.exitCode = 2;
    return;
  }
  if (!options) return;

  const database = `alerts_stream_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: options.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(options.databaseUrl);
  url.pathname = `/${database}`;
  // The service's pool size (openPostgres' default).
  const db = await openPostgres({ connectionString: url.toString() });
  try {
    const store = await createAlertStore(db);
    for (let stored = 0; stored < options.seed; stored += 1000) await store.insertAlerts(makeAlerts(Math.min(1000, options.seed - stored)));
    const [{ server_version: version } = { server_version: '?' }] = (await admin.query<{ server_version: string }>('SHOW server_version')).rows;
    console.log(
      `PostgreSQL ${version}, database ${database} (${options.seed.toLocaleString('en')} alerts before); bursts of ${options.burstSize} alerts, ` +
        `${options.bursts} timed per phase, ${options.interval} ms apart; ${options.clients} clients: ${clientQueries.map((q) => q || '(all)').join(', ')} in turn; ` +
        `load ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`,
    );
    console.log('\nTime to store a burst through the consumer path and notify the streams');
    const feeds: Array<[string, FeedFactory]> = [
      ['shared query per wake-up (service)', ({ store: s, metrics }) => createAlertFeed({ store: s, metrics, log, maxStreams: options.clients })],
      ['query per stream (baseline)', ({ store: s, metrics }) => createPerStreamAlertFeed({ store: s, metrics, log })],
    ];
    const ms = (value: number): string => `${value.toFixed(1)} ms`.padStart(9);
    for (const [name, makeFeed] of feeds) {
      const idle = await phase(store, makeFeed, 0, options);
      const loaded = await phase(store, makeFeed, options.clients, options);
      const row = (label: string, result: PhaseResult): string =>
        `${name.padEnd(36)} ${label.padEnd(12)} p50 ${ms(result.p50)}  p95 ${ms(result.p95)}  max ${ms(result.max)}`;
      console.log(row('0 clients', idle));
      const read = loaded.clients;
      console.log(
        `${row(`${options.clients} clients`, loaded)}  slowdown p50 ${(((loaded.p50 - idle.p50) / idle.p50) * 100).toFixed(0)} %, ` +
          `p95 ${(((loaded.p95 - idle.p95) / idle.p95) * 100).toFixed(0)} %` +
          (read ? `  (clients read ≈${read.events.toLocaleString('en')} alerts, ${(read.bytes / 1024 / 1024).toFixed(0)} MiB; ${read.failed} failed)` : ''),
      );
    }
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
