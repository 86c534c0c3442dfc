/**
 * Alerts service benchmark (`npm run bench -- alerts`). With N alerts (default 1 million) in a
 * throwaway PostgreSQL schema, the real service (services/alerts/src/main.ts, in its own process)
 * answers GET /alerts?cardId=… and the first page of GET /alerts at a fixed open-loop rate; the
 * same queries straight through the store, and GET /healthz at the same rate, are the baselines.
 * Then the ingest rate from Kafka into the store, against plain batched INSERTs of the same alerts.
 * Prints numbers only. Needs PostgreSQL (--database-url) and a broker (KAFKA_BROKERS, or one is
 * started from the local jars like `npm run kafka`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, Agent } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  cardIdFor,
  createKafkaForBrokers,
  createLogger,
  encode,
  ensureTopics,
  type Alert,
} from '@fraudstream/shared';
import { createAlertConsumer } from '../../services/alerts/src/consumer.js';
import { createMetrics } from '../../services/alerts/src/metrics.js';
import { createAlertStore } from '../../services/alerts/src/store/alert-store.js';
import { openPostgres } from '../../services/alerts/src/store/database.js';
import { startKafka } from '../kafka/local-broker.js';
import { benchAlert } from './support/alerts.js';

const usage = `Usage: npx tsx scripts/bench/alerts.ts [options]

  --alerts N          alerts stored before the HTTP phase (default 1000000)
  --rate R            requests per second in each HTTP phase (default 500)
  --seconds S         length of each HTTP phase (default 10)
  --warmup S          seconds of mixed requests at the rate before the first phase (default 10):
                      the service's connections are new, and a new PostgreSQL backend is slow until
                      it has mapped the shared buffers it reads (hundreds of ms at first on a VM)
  --ingest N          alerts in the Kafka ingest phase (default 50000)
  --partitions P      partitions of the ingest topic (default 6)
  --database-url URL  PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test);
                      everything goes into a schema alerts_bench_<random>, dropped at the end`;

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const log = createLogger({ name: 'bench-alerts', level: 'warn', pretty: false });
const CARDS = 5_000;
const TERMINALS = 10_000;

interface Options {
  alerts: number;
  rate: number;
  seconds: number;
  warmup: number;
  ingest: number;
  partitions: number;
  databaseUrl: string;
}

function parseOptions(): Options | undefined {
  const { values } = parseArgs({
    options: {
      alerts: { type: 'string', default: '1000000' },
      rate: { type: 'string', default: '500' },
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '10' },
      ingest: { type: 'string', default: '50000' },
      partitions: { type: 'string', default: '6' },
      'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return undefined;
  }
  const positive = (name: string, text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`Expected --${name} to be a positive integer, got ${JSON.stringify(text)}`);
    return value;
  };
  return {
    alerts: positive('alerts', values.alerts),
    rate: positive('rate', values.rate),
    seconds: positive('seconds', values.seconds),
    warmup: positive('warmup', values.warmup),
    ingest: positive('ingest', values.ingest),
    partitions: positive('partitions', values.partitions),
    databaseUrl: values['database-url'],
  };
}

const isoUtc = (column: string): string => `to_char((${column}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Generates alerts inside PostgreSQL (no round trip per row): card n·7919 mod 5000, terminal
 * n·31 mod 10000, one alert every 2.6 s over the last 30 days, so each card has ~200 alerts.
 */
async function bulkLoad(client: pg.Client, count: number): Promise<void> {
  const chunk = 100_000;
  const spacingMs = (30 * 24 * 3600_000) / count;
  const start = new Date(Date.now() - 30 * 24 * 3600_000).toISOString();
  for (let from = 1; from <= count; from += chunk) {
    const to = Math.min(count, from + chunk - 1);
    await client.query(
      `INSERT INTO alerts (alert_id, card_id, terminal_id, score, model_version, detected_at, alert)
       SELECT g.alert_id::uuid, g.card_id, g.terminal_id, g.score, 'bench-model-1', g.detected_at,
         jsonb_build_object(
           'schemaVersion', 1, 'alertId', g.alert_id,
           'transaction', jsonb_build_object(
             'schemaVersion', 1, 'transactionId', lpad(g.n::text, 12, '0'),
             'timestamp', ${isoUtc("g.detected_at - interval '2 seconds'")},
             'cardId', g.card_id, 'terminalId', g.terminal_id,
             'amount', round(5 + (g.n * 37 % 90000) / 100.0, 2), 'currency', 'EUR'),
           'score', g.score, 'threshold', 0.5, 'modelVersion', 'bench-model-1',
           'reasons', jsonb_build_array(
             jsonb_build_object('feature', 'terminalRisk7d', 'value', 0.8, 'typical', 0.02, 'contribution', 0.41),
             jsonb_build_object('feature', 'amountVsCardMean7d', 'value', 6.2, 'typical', 1, 'contribution', 0.17)),
           'detectedAt', ${isoUtc('g.detected_at')})
       FROM (
         SELECT n, 'card-' || (n * 7919 % ${CARDS}) AS card_id, 'term-' || (n * 31 % ${TERMINALS}) AS terminal_id,
                0.5 + (n % 500) / 1000.0 AS score,
                date_trunc('milliseconds', $1::timestamptz + n * $2::float8 * interval '1 millisecond') AS detected_at,
                md5('bench-' || n)::uuid::text AS alert_id
         FROM generate_series($3::bigint, $4::bigint) AS n
       ) AS g`,
      [start, spacingMs, from, to],
    );
    if (process.stdout.isTTY) process.stdout.write(`\r  loading alerts: ${to.toLocaleString('en')} / ${count.toLocaleString('en')}`);
  }
  if (process.stdout.isTTY) process.stdout.write('\n');
  // A table that has been running is vacuumed; without this, autovacuum's first pass over the
  // fresh million rows lands in the middle of whichever phase runs then.
  await client.query('VACUUM (ANALYZE) alerts');
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

async function startService(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'services/alerts/src/main.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alerts service exited with ${child.exitCode}`);
    const ready = await get(`http://127.0.0.1:${env['PORT']}/readyz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) return child;
    if (Date.now() > deadline) throw new Error('alerts service did not become ready within 60 s');
    await sleep(200);
  }
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function get(url: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, bytes }));
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface LatencyReport {
  sent: number;
  ok: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  meanBytes: number;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

/**
 * Open loop: request i is due at start + i/rate whether or not earlier ones have answered, and its
 * latency counts from when it was due (or sent, if earlier), so a stalled server cannot hide its queueing delay.
 */
async function openLoop(rate: number, seconds: number, nextRequest: (i: number) => () => Promise<{ ok: boolean; bytes: number }>): Promise<LatencyReport> {
  const total = rate * seconds;
  const latencies: number[] = [];
  let errors = 0;
  let bytes = 0;
  const inFlight: Array<Promise<void>> = [];
  const start = performance.now();
  for (let i = 0; i < total; i += 1) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const send = nextRequest(i);
    // A request sent up to 1 ms early (not worth a timer) counts from when it was sent.
    const from = Math.min(due, performance.now());
    inFlight.push(
      send().then(
        (result) => {
          if (result.ok) latencies.push(performance.now() - from);
          else errors += 1;
          bytes += result.bytes;
        },
        () => {
          errors += 1;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  return {
    sent: total,
    ok: latencies.length,
    errors,
    p50: percentile(latencies, 0.5),
    p90: percentile(latencies, 0.9),
    p99: percentile(latencies, 0.99),
    max: latencies.at(-1) ?? Number.NaN,
    meanBytes: latencies.length === 0 ? 0 : bytes / latencies.length,
  };
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;

/** The machine's 1-minute load average over its core count: tail latency depends on it as much as on the code. */
const load = (): string => `load ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`;

function printLatency(name: string, report: LatencyReport, rate: number, seconds: number): void {
  console.log(
    `${name.padEnd(44)} ${String(rate).padStart(4)}/s × ${seconds}s  p50 ${ms(report.p50).padStart(9)}  p90 ${ms(report.p90).padStart(9)}  ` +
      `p99 ${ms(report.p99).padStart(9)}  max ${ms(report.max).padStart(9)}  ok ${report.ok}/${report.sent}` +
      (report.errors ? `  errors ${report.errors}` : '') +
      (report.meanBytes ? `  ~${Math.round(report.meanBytes / 1024)} KiB/response` : '') +
      `  (${load()})`,
  );
}

interface ServiceStats {
  gc: Record<string, { seconds: number; count: number }>;
  lagP99: number;
  lagMax: number;
}

/**
 * The service's own view of a phase, from its /metrics (prom-client's Node metrics): its garbage
 * collections by kind and its event loop's delay (the delay histogram restarts at every scrape, so a
 * scrape before the phase and one after give the phase's figures). Where a slow response's time went
 * when it was not in SQL: GC pauses and other work holding the loop.
 */
async function serviceStats(base: string): Promise<ServiceStats> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const gc: ServiceStats['gc'] = {};
  for (const [, field, kind, value] of text.matchAll(/^nodejs_gc_duration_seconds_(sum|count)\{kind="([^"]+)"\} (\S+)$/gm)) {
    const entry = (gc[kind!] ??= { seconds: 0, count: 0 });
    if (field === 'sum') entry.seconds = Number(value);
    else entry.count = Number(value);
  }
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { gc, lagP99: gauge('nodejs_eventloop_lag_p99_seconds'), lagMax: gauge('nodejs_eventloop_lag_max_seconds') };
}

function serviceLine(before: ServiceStats, after: ServiceStats): string {
  const kinds = Object.entries(after.gc)
    .map(([kind, { seconds, count }]) => ({ kind, ms: (seconds - (before.gc[kind]?.seconds ?? 0)) * 1000, count: count - (before.gc[kind]?.count ?? 0) }))
    .filter(({ count }) => count > 0)
    .map(({ kind, ms: total, count }) => `${kind} ${count}× ${total.toFixed(0)} ms`);
  return `    the service meanwhile: GC ${kinds.join(', ') || 'none'}; event loop delay p99 ${ms(after.lagP99 * 1000)}, max ${ms(after.lagMax * 1000)}`;
}

function ingestAlerts(count: number, offset: number): Alert[] {
  const detectedAtMs = Date.now();
  return Array.from({ length: count }, (_, index) => benchAlert(offset + index, { cards: CARDS, terminals: TERMINALS, detectedAtMs }));
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
  const { alerts, rate, seconds, warmup, ingest, partitions, databaseUrl } = options;

  const schema = `alerts_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  const kafka = await startKafka({ log });
  let service: ChildProcess | undefined;
  const db = await openPostgres({ connectionString: databaseUrl, schema, maxConnections: 8 });
  try {
    const store = await createAlertStore(db);
    const [{ server_version: version } = { server_version: '?' }] = (
      await admin.query<{ server_version: string }>('SHOW server_version')
    ).rows;
    const [{ shared_buffers: sharedBuffers } = { shared_buffers: '?' }] = (await admin.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows;
    console.log(`PostgreSQL ${version} (shared_buffers ${sharedBuffers}), schema ${schema}; Kafka ${kafka.version} at ${kafka.brokers}; ${rate} requests/s for ${seconds} s per phase; ${load()}`);

    await admin.query(`SET search_path TO ${schema}`);
    let started = performance.now();
    await bulkLoad(admin, alerts);
    let elapsed = (performance.now() - started) / 1000;
    console.log(`bulk load (INSERT … SELECT generate_series, 6 indexes, VACUUM)  ${alerts.toLocaleString('en')} alerts in ${elapsed.toFixed(1)} s = ${Math.round(alerts / elapsed).toLocaleString('en')} alerts/s`);

    const port = await freePort();
    service = await startService({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `${databaseUrl}${databaseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
      KAFKA_BROKERS: kafka.brokers,
      ALERTS_API_TOKEN: randomBytes(16).toString('hex'),
      ALERTS_GROUP_ID: `bench-alerts-${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'warn',
    });
    const base = `http://127.0.0.1:${port}`;
    const card = (i: number): string => cardIdFor((i * 104_729) % CARDS);
    const http = (path: (i: number) => string) => (i: number) => async () => {
      const response = await get(`${base}${path(i)}`);
      return { ok: response.status === 200, bytes: response.bytes };
    };

    // Warm-up: every card's newest alerts once (PostgreSQL's and the OS's caches, as in a service
    // that has been running), then the service and this process's own pool at the rate (JIT, and every
    // connection's backend having mapped the shared buffers it reads).
    for (let customer = 0; customer < CARDS; customer += 1) await store.listAlerts({ cardId: cardIdFor(customer) }, 51);
    const storeCall = (query: (i: number) => Promise<unknown>) => (i: number) => async () => {
      await query(i);
      return { ok: true, bytes: 0 };
    };
    await openLoop(rate, warmup, http((i) => (i % 2 === 0 ? `/alerts?cardId=${card(i)}` : '/alerts')));
    await openLoop(rate, warmup, storeCall((i) => store.listAlerts(i % 2 === 0 ? { cardId: card(i) } : {}, 51)));

    console.log('\nLatency at a fixed rate (loopback, keep-alive, open loop; counted from when each request was due)');
    /** An HTTP phase, with what the service's GC and event loop did meanwhile. */
    const httpPhase = async (name: string, phaseRate: number, path: (i: number) => string): Promise<void> => {
      const before = await serviceStats(base);
      const report = await openLoop(phaseRate, seconds, http(path));
      printLatency(name, report, phaseRate, seconds);
      console.log(serviceLine(before, await serviceStats(base)));
    };
    await httpPhase('GET /healthz (baseline: HTTP + fastify)', rate, () => '/healthz');
    printLatency('store.listAlerts({ cardId }) (baseline: SQL)', await openLoop(rate, seconds, storeCall((i) => store.listAlerts({ cardId: card(i) }, 51))), rate, seconds);
    await httpPhase('GET /alerts?cardId=… (50 newest of ~200)', rate, (i) => `/alerts?cardId=${card(i)}`);
    printLatency('store.listAlerts({}) (baseline: SQL)', await openLoop(rate, seconds, storeCall(() => store.listAlerts({}, 51))), rate, seconds);
    await httpPhase('GET /alerts (first page, 50)', rate, () => '/alerts');
    const bigRate = Math.min(rate, 100);
    await httpPhase('GET /alerts?limit=500 (first page, 500)', bigRate, () => '/alerts?limit=500');

    service.kill('SIGTERM');
    await new Promise((resolve) => service?.once('exit', resolve));
    service = undefined;

    console.log(`\nIngest (${ingest.toLocaleString('en')} new alerts; table already holds ${alerts.toLocaleString('en')})`);
    const baselineAlerts = ingestAlerts(ingest, 10_000_000_000);
    started = performance.now();
    for (let index = 0; index < baselineAlerts.length; index += 1000) await store.insertAlerts(baselineAlerts.slice(index, index + 1000));
    elapsed = (performance.now() - started) / 1000;
    console.log(`store.insertAlerts, batches of 1000 (baseline, no Kafka)    ${Math.round(ingest / elapsed).toLocaleString('en')} alerts/s (${elapsed.toFixed(1)} s)`);

    const kafkaClient = createKafkaForBrokers(kafka.brokers.split(','), log, 'bench-alerts');
    const kafkaAdmin = kafkaClient.admin();
    await kafkaAdmin.connect();
    const topic = `bench.alerts-${randomBytes(4).toString('hex')}`;
    await ensureTopics(kafkaAdmin, [{ topic, partitions }]);
    const producer = kafkaClient.producer();
    await producer.connect();
    const kafkaAlerts = ingestAlerts(ingest, 20_000_000_000);
    for (let index = 0; index < kafkaAlerts.length; index += 5000) {
      await producer.send({
        topic,
        messages: kafkaAlerts.slice(index, index + 5000).map((alert) => ({ key: alert.transaction.cardId, value: encode(alert) })),
      });
    }
    await producer.disconnect();
    const before = await store.latestSequence();
    const metrics = createMetrics();
    const consumer = createAlertConsumer({
      kafka: kafkaClient,
      groupId: `bench-alerts-${randomBytes(4).toString('hex')}`,
      topic,
      store,
      metrics,
      log,
    });
    started = performance.now();
    await consumer.start();
    let firstStored: { at: number; count: number } | undefined;
    for (;;) {
      const stored = (await metrics.alertsStored.get()).values[0]?.value ?? 0;
      if (stored > 0 && !firstStored) firstStored = { at: performance.now(), count: stored };
      if (stored >= ingest) break;
      if (performance.now() - started > 600_000) throw new Error(`ingest stalled at ${stored} alerts`);
      await sleep(20);
    }
    const finished = performance.now();
    elapsed = (finished - started) / 1000;
    await consumer.stop();
    console.log(
      `Kafka → store, from start (incl. group join)               ${Math.round(ingest / elapsed).toLocaleString('en')} alerts/s (${elapsed.toFixed(1)} s, ${partitions} partitions; from sequence ${before})`,
    );
    if (firstStored && finished > firstStored.at) {
      const steady = (finished - firstStored.at) / 1000;
      console.log(
        `Kafka → store, after the first batch (eachBatch, commit)   ${Math.round((ingest - firstStored.count) / steady).toLocaleString('en')} alerts/s (${steady.toFixed(1)} s)`,
      );
    }
    await kafkaAdmin.deleteTopics({ topics: [topic] }).catch(() => {});
    await kafkaAdmin.disconnect();
  } finally {
    service?.kill('SIGTERM');
    await db.close();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await kafka.stop();
    agent.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
