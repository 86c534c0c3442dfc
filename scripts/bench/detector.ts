/**
 * Detector benchmark (`npm run bench -- detector`): throughput of one detector replica (Redis feature
 * store, Kafka transactions) against a plain kafkajs consume→produce passthrough over the same topic in
 * the same run; the same replica with 50 active rules (scripts/bench/support/rules.ts) against it without; end-to-end latency from produce to committed alert at a fixed rate; the replica's RSS.
 * Prints numbers only. Needs Redis (REDIS_URL, else a redis-server of its own is started) and a broker
 * (KAFKA_BROKERS, or one is started from the local jars like `npm run kafka`).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { z } from 'zod';
import {
  cardIdFor,
  compileExpression,
  controlTopicSpecs,
  createKafkaForBrokers,
  createLogger,
  decodeAlert,
  encode,
  ensureTopics,
  loadConfig,
  terminalIdFor,
  transactionIdFor,
  type Kafka,
  type Message,
  type Transaction,
} from '@fraudstream/shared';
import { DEFAULT_MODEL_DIR } from '@fraudstream/model';
import { startKafka } from '../kafka/local-broker.js';
import { cpuMsOf, footprintLines, meanMessageBytes, redisCounters, subtractCounters, type Footprint } from './support/footprint.js';
import { kcatPassthrough, peerLine, pythonNaiveDetector, type PeerResult } from './support/peers.js';
import { startBenchRedis } from './support/redis.js';
import { benchRuleBook } from './support/rules.js';

const usage = `Usage: npx tsx scripts/bench/detector.ts [--count N] [--rounds R] [--rate TX_PER_S] [--seconds S] [--partitions P]

  --count N        transactions in the throughput backlog (default 300000)
  --rounds R       throughput rounds, each: passthrough, detector (Redis), detector (Redis) with
                   the rules, with a shadow challenger, without the scores topic, detector (memory)
                   (default 3)
  --rules N        active rules in the rules phase (default 50)
  --rate R         transactions per second in the latency phase (default 1000)
  --seconds S      length of the latency phase, after its warm-up (default 20)
  --warmup S       first seconds of the latency phase, reported apart (default 15)
  --partitions P   partitions of the transactions topic (default 6)
                   Peers over the same backlog, once: kcat consume → produce, and a naive Python
                   detector (kafka-python, the first 100,000); skipped when kcat or python3-kafka
                   is missing
  --model-dir DIR  the model to serve (default: the shipped one, model/default)
  --challenger-dir DIR  the shadow challenger of the challenger phase (default: --model-dir, loaded
                   again: the same architecture costs the same)`;

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const log = createLogger({ name: 'bench-detector', level: 'warn', pretty: false });

function transactionAt(n: number, timestampMs: number, amount?: number): Transaction {
  const customer = (n * 7919) % 5_000;
  return {
    schemaVersion: 1,
    transactionId: transactionIdFor(n),
    timestamp: new Date(timestampMs).toISOString(),
    cardId: cardIdFor(customer),
    terminalId: terminalIdFor((customer * 31 + n) % 10_000),
    amount: amount ?? Math.round((5 + ((n * 37) % 9_000) / 100) * 100) / 100,
    currency: 'EUR',
  };
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

async function committedTotal(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, { offset }) => sum + Math.max(0, Number(offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Polls a group's committed offsets until they cover the backlog: the rate from `startedAt` (the
 * moment the consumer had its partitions, so process start-up and model loading are left out).
 */
async function measureThroughput(kafka: Kafka, groupId: string, topic: string, total: number, startedAt: number): Promise<{ perSecond: number; seconds: number }> {
  for (;;) {
    const committed = await committedTotal(kafka, groupId, topic);
    if (committed >= total) {
      const seconds = (performance.now() - startedAt) / 1000;
      return { perSecond: committed / seconds, seconds };
    }
    await sleep(20);
  }
}

async function produceAll(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let start = 0; start < messages.length; start += 5_000) {
    await producer.send({ topic, messages: messages.slice(start, start + 5_000), acks: -1 });
  }
  await producer.disconnect();
}

async function passthrough(kafka: Kafka, input: string, output: string, total: number): Promise<{ perSecond: number; seconds: number }> {
  const groupId = `bench-passthrough-${randomBytes(4).toString('hex')}`;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId });
  let joinedAt = 0;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt = performance.now();
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      await producer.send({ topic: output, messages: batch.messages.map(({ key, value }) => ({ key, value })), acks: -1 });
    },
  });
  while (joinedAt === 0) await sleep(5);
  const result = await measureThroughput(kafka, groupId, input, total, joinedAt);
  await consumer.disconnect();
  await producer.disconnect();
  return result;
}

/**
 * Produces `rate` transactions a second (every 5th one flagged-sized) and times each alert from send to
 * committed read. Alerts of transactions sent in the first `warmupSeconds` are reported apart: a fresh
 * replica's first batches wait until every partition has been fetched once (the event-time gate), and
 * the first seconds of transactional load on a fresh detector and topics are slower (measured: with a
 * 3 s warm-up, whichever store's phase ran first had the worse p99, 120–155 ms against 70–100 ms for
 * the phase after it; with 15 s, both were under 100 ms).
 */
async function measureLatency(
  kafka: Kafka,
  input: string,
  alerts: string,
  rate: number,
  seconds: number,
  warmupSeconds: number,
): Promise<{ latencies: number[]; warmup: number[]; sent: number; toProduced: number[]; toRead: number[] }> {
  const sentAt = new Map<string, { at: number; wallMs: number }>();
  const latencies: number[] = [];
  // The same latency in two parts, split at the alert's record timestamp (the detector's send time,
  // in wall-clock ms: same host, same clock): produce → alert sent, alert sent → read committed.
  const toProduced: number[] = [];
  const toRead: number[] = [];
  const warmup: number[] = [];
  let warmupEndsAt = Infinity;
  const reader = kafka.consumer({ groupId: `bench-reader-${randomBytes(4).toString('hex')}`, readUncommitted: false, maxWaitTimeInMs: 10 });
  await reader.connect();
  await reader.subscribe({ topics: [alerts], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const decoded = decodeAlert(message.value);
      const sent = decoded.ok ? sentAt.get(decoded.value.transaction.transactionId) : undefined;
      if (sent === undefined) return;
      if (sent.at < warmupEndsAt) {
        warmup.push(performance.now() - sent.at);
        return;
      }
      latencies.push(performance.now() - sent.at);
      const alertSentMs = Number(message.timestamp);
      toProduced.push(alertSentMs - sent.wallMs);
      toRead.push(Date.now() - alertSentMs);
    },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const started = performance.now();
  warmupEndsAt = started + warmupSeconds * 1000;
  let sent = 0;
  while (performance.now() - started < (warmupSeconds + seconds) * 1000) {
    const tickStart = performance.now();
    const batch = Array.from({ length: perTick }, () => {
      const n = 10_000_000 + sent++;
      // Every 5th is a large amount (Handbook scenario 1), so there are alerts to time.
      return transactionAt(n, Date.now(), n % 5 === 0 ? 400 + (n % 500) : undefined);
    });
    const sendTime = { at: performance.now(), wallMs: Date.now() };
    for (const tx of batch) sentAt.set(tx.transactionId, sendTime);
    await producer.send({ topic: input, messages: batch.map((tx) => ({ key: tx.cardId, value: encode(tx) })), acks: -1 });
    await sleep(Math.max(0, tickMs - (performance.now() - tickStart)));
  }
  await sleep(2_000);
  await producer.disconnect();
  await reader.disconnect();
  const sorted = (values: number[]): number[] => values.sort((a, b) => a - b);
  return { latencies: sorted(latencies), warmup: sorted(warmup), sent, toProduced: sorted(toProduced), toRead: sorted(toRead) };
}

/** A counter's value (summed over its labels) from a detector's /metrics. */
async function counterOf(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce((sum, [, value]) => sum + Number(value), 0);
}

/** Mean batch and model time from a detector's own metrics: where the time of a batch goes. */
async function batchSummary(port: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const batches = value('fraudstream_detector_batch_duration_seconds_count');
  const batchMs = (1000 * value('fraudstream_detector_batch_duration_seconds_sum')) / batches;
  const modelMs = (1000 * value('fraudstream_detector_scoring_duration_seconds_sum')) / value('fraudstream_detector_scoring_duration_seconds_count');
  const held = value('fraudstream_detector_held_batches_total');
  return `${batches} batches: ${batchMs.toFixed(1)} ms each on average (decode, features, model, Kafka transaction), ${modelMs.toFixed(1)} ms of it in the model; ${held} held by the event-time gate`;
}

/** What the rules did in a run: hits by action, run-time errors, and alerts by decision. */
async function rulesSummary(port: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sum = (pattern: RegExp) => [...text.matchAll(pattern)].reduce((total, match) => total + Number(match[1]), 0);
  const hits = (action: string) => sum(new RegExp(`^fraudstream_detector_rule_hits_total\\{[^}]*action="${action}"[^}]*\\} (\\S+)$`, 'gm'));
  const errors = sum(/^fraudstream_detector_rule_errors_total\{[^}]*\} (\S+)$/gm);
  const perRule = [...text.matchAll(/^fraudstream_detector_rule_hits_total\{rule="([^"]+)"[^}]*\} (\S+)$/gm)]
    .map(([, rule, value]) => ({ rule, hits: Number(value) }))
    .sort((x, y) => y.hits - x.hits)
    .slice(0, 3)
    .map(({ rule, hits }) => `${rule} ${hits}`);
  return `rule hits: block ${hits('block')}, review ${hits('review')} (most: ${perRule.join(', ') || 'none'}); ${errors} rule errors`;
}

function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rssMb: field('VmRSS'), peakMb: field('VmHWM') };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '300000' },
      rounds: { type: 'string', default: '3' },
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '15' },
      partitions: { type: 'string', default: '6' },
      rules: { type: 'string', default: '50' },
      'model-dir': { type: 'string', default: DEFAULT_MODEL_DIR },
      'challenger-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const count = Number(values.count);
  const rounds = Number(values.rounds);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const partitions = Number(values.partitions);
  const warmupSeconds = Number(values.warmup);
  const ruleCount = Number(values.rules);
  if (![count, rounds, rate, seconds, partitions, ruleCount].every((value) => Number.isInteger(value) && value > 0) || !(Number.isInteger(warmupSeconds) && warmupSeconds >= 0)) {
    console.error(`Expected positive integers.\n\n${usage}`);
    process.exitCode = 2;
    return;
  }

  // startKafka uses KAFKA_BROKERS when it is set, else starts a broker from the local jars.
  const broker = await startKafka({ log });
  const brokers = broker.brokers;
  // REDIS_URL when set, else a redis-server of the benchmark's own (what Redis does per payment is read from its INFO).
  const benchRedis = await startBenchRedis(loadConfig(z.object({ REDIS_URL: z.string().optional() })).REDIS_URL);
  const redisUrl = benchRedis.url;
  const kafka = createKafkaForBrokers(brokers.split(','), log, 'bench-detector');
  const id = randomBytes(4).toString('hex');
  const latencyTopics = {
    latency: `bench-latency-${id}`,
    latencyAlerts: `bench-latency-alerts-${id}`,
  };
  const topics = {
    transactions: `bench-transactions-${id}`,
    labels: `bench-labels-${id}`,
    alerts: `bench-alerts-${id}`,
    deadLetters: `bench-dlq-${id}`,
    passthrough: `bench-passthrough-${id}`,
    scores: `bench-scores-${id}`,
  };
  // Two rule books: one empty (every phase without rules reads it), one with the benchmark's rules.
  const control = {
    none: { rules: `bench-no-rules-${id}`, lists: `bench-no-lists-${id}` },
    some: { rules: `bench-rules-${id}`, lists: `bench-lists-${id}` },
  };
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    ...Object.values(topics).map((topic) => ({ topic, partitions: partitions })),
    ...controlTopicSpecs(control.none),
    ...controlTopicSpecs(control.some),
  ]);
  const keyPrefix = `bench-detector-${id}:`;
  // INFO before and after a phase: what the Redis detector costs Redis (footprint.ts).
  const redis = new Redis(redisUrl);
  const children: Array<ReturnType<typeof spawn>> = [];
  const extraTopics: string[] = [];

  const spawnDetector = async (input: string, alerts: string, groupId: string, store: 'redis' | 'memory' = 'redis', prefix = keyPrefix, rules = control.none, extraEnv: Record<string, string> = {}) => {
    const port = await freePort();
    const nodeArgs = (process.env['BENCH_DETECTOR_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(root, 'services/detector/src/main.ts')], {
      cwd: root,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        KAFKA_BROKERS: brokers,
        ...(store === 'redis' ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix } : {}),
        MODEL_DIR: values['model-dir'],
        LOG_LEVEL: 'warn',
        DETECTOR_PORT: String(port),
        DETECTOR_HOST: '127.0.0.1',
        DETECTOR_GROUP_ID: groupId,
        TRANSACTIONS_TOPIC: input,
        LABELS_TOPIC: topics.labels,
        ALERTS_TOPIC: alerts,
        DEAD_LETTER_TOPIC: topics.deadLetters,
        RULES_TOPIC: rules.rules,
        LISTS_TOPIC: rules.lists,
        SCORES_TOPIC: topics.scores,
        KAFKA_TOPIC_PARTITIONS: String(partitions),
        ...extraEnv,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(child);
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((response) => response.ok, () => false);
      // Ready: the model is loaded and the consumer has its partitions.
      if (ready) return Object.assign(child, { port });
      if (child.exitCode !== null) throw new Error(`detector exited with ${child.exitCode}`);
      await sleep(20);
    }
  };

  try {
    console.log(
      `machine: ${cpus().length} cores, load average ${loadavg()[0]?.toFixed(1)} at the start; broker, Redis, producer and detector share it`,
    );
    console.log(`backlog: ${count} transactions over ${partitions} partitions`);
    const now = Date.now();
    const backlog = Array.from({ length: count }, (_, n) => transactionAt(n, now - 3_600_000 + Math.floor((n * 3_600_000) / count)));
    await produceAll(kafka, topics.transactions, backlog.map((tx) => ({ key: tx.cardId, value: encode(tx) })));
    const book = benchRuleBook(ruleCount);
    await produceAll(kafka, control.some.rules, book.rules.map((rule) => ({ key: rule.id, value: JSON.stringify(rule) })));
    await produceAll(kafka, control.some.lists, book.lists.map((list) => ({ key: list.name, value: JSON.stringify(list) })));
    const fast = book.rules.filter((rule) => { const compiled = compileExpression(rule.expression); return compiled.ok && compiled.fast; }).length;
    console.log(`rules phase: ${book.rules.length} active rules (${fast} on the fast path), ${book.lists.length} lists of ${book.lists.map((list) => list.items.length).join(', ')} items`);

    // Rounds alternate the three, each on its own consumer group (and Redis key prefix), so that a
    // change in the machine's load affects them alike; the medians are the figures.
    const results: Array<{ passthrough: number; redis: number; rules: number; challenger: number; memory: number; unscored: number }> = [];
    let footprint: Footprint | undefined;
    for (let round = 1; round <= rounds; round++) {
      const baseline = await passthrough(kafka, topics.transactions, topics.passthrough, count);
      const detectorGroup = `bench-detector-${id}-${round}`;
      const detector = await spawnDetector(topics.transactions, topics.alerts, detectorGroup, 'redis', `${keyPrefix}${round}:`);
      const before = { cpuMs: cpuMsOf(detector.pid as number), redis: await redisCounters(redis) };
      const scored = await measureThroughput(kafka, detectorGroup, topics.transactions, count, performance.now());
      const used = { cpuMs: cpuMsOf(detector.pid as number) - before.cpuMs, redis: subtractCounters(await redisCounters(redis), before.redis) };
      const memory = rssOf(detector.pid as number);
      const summary = await batchSummary(detector.port);
      const flagged = await counterOf(detector.port, 'fraudstream_detector_flagged_total');
      detector.kill('SIGTERM');
      if (round === 1) {
        const [inBytes, scoreBytes, alertBytes] = await Promise.all([topics.transactions, topics.scores, topics.alerts].map((topic) => meanMessageBytes(kafka, topic)));
        footprint = { payments: count, detectorCpuMs: used.cpuMs, redis: used.redis, kafkaInBytes: inBytes!, kafkaOutBytes: scoreBytes! + ((flagged / count) * alertBytes!) };
      }
      // The same replica with the rule book: all it adds is the rules' evaluation and their alerts.
      const rulesGroup = `bench-detector-rules-${id}-${round}`;
      const withRules = await spawnDetector(topics.transactions, topics.alerts, rulesGroup, 'redis', `${keyPrefix}${round}r:`, control.some);
      const ruled = await measureThroughput(kafka, rulesGroup, topics.transactions, count, performance.now());
      const ruleSummary = await rulesSummary(withRules.port);
      withRules.kill('SIGTERM');
      // The same replica scoring every payment with a shadow challenger too: one more predict per batch.
      const challengerGroup = `bench-detector-challenger-${id}-${round}`;
      const withChallenger = await spawnDetector(topics.transactions, topics.alerts, challengerGroup, 'redis', `${keyPrefix}${round}c:`, control.none, {
        CHALLENGER_MODEL_DIR: values['challenger-dir'] ?? values['model-dir'],
      });
      const challenged = await measureThroughput(kafka, challengerGroup, topics.transactions, count, performance.now());
      withChallenger.kill('SIGTERM');
      // What publishing every score costs: the same replica with the scores topic off.
      const unscoredGroup = `bench-detector-unscored-${id}-${round}`;
      const withoutScores = await spawnDetector(topics.transactions, topics.alerts, unscoredGroup, 'redis', `${keyPrefix}${round}u:`, control.none, { SCORES_TOPIC: '' });
      const unscored = await measureThroughput(kafka, unscoredGroup, topics.transactions, count, performance.now());
      withoutScores.kill('SIGTERM');
      // Where the time goes: the same replica with the in-memory store (everything else equal).
      const memoryGroup = `bench-detector-memory-${id}-${round}`;
      const inMemory = await spawnDetector(topics.transactions, topics.alerts, memoryGroup, 'memory');
      const memoryRate = await measureThroughput(kafka, memoryGroup, topics.transactions, count, performance.now());
      inMemory.kill('SIGTERM');
      results.push({ passthrough: baseline.perSecond, redis: scored.perSecond, rules: ruled.perSecond, challenger: challenged.perSecond, memory: memoryRate.perSecond, unscored: unscored.perSecond });
      console.log(
        `round ${round}: passthrough (kafkajs consume→produce, acks=all) ${Math.round(baseline.perSecond)} tx/s; ` +
          `detector (1 replica, Redis store, Kafka transactions) ${Math.round(scored.perSecond)} tx/s = ${((100 * scored.perSecond) / baseline.perSecond).toFixed(0)} %; ` +
          `same detector, in-memory store ${Math.round(memoryRate.perSecond)} tx/s (load ${loadavg()[0]?.toFixed(1)})`,
      );
      console.log(`  Redis detector RSS after the backlog: ${memory.rssMb.toFixed(0)} MB (peak ${memory.peakMb.toFixed(0)} MB); ${summary}`);
      console.log(
        `  with ${book.rules.length} active rules: ${Math.round(ruled.perSecond)} tx/s = ${((100 * ruled.perSecond) / scored.perSecond).toFixed(0)} % of the same detector without rules; ${ruleSummary}`,
      );
      console.log(`  with a shadow challenger: ${Math.round(challenged.perSecond)} tx/s = ${((100 * challenged.perSecond) / scored.perSecond).toFixed(0)} % of the same detector without it`);
      console.log(`  without the scores topic: ${Math.round(unscored.perSecond)} tx/s; with it ${((100 * scored.perSecond) / unscored.perSecond).toFixed(0)} % of that`);
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const ratios = results.map(({ passthrough, redis }) => redis / passthrough);
    console.log(
      `median of ${rounds}: passthrough ${Math.round(median(results.map((r) => r.passthrough)))} tx/s; ` +
        `detector (Redis) ${Math.round(median(results.map((r) => r.redis)))} tx/s; detector / passthrough ${(100 * median(ratios)).toFixed(0)} %; ` +
        `in-memory store ${Math.round(median(results.map((r) => r.memory)))} tx/s`,
    );
    console.log(
      `median of ${rounds}: detector (Redis) with ${book.rules.length} active rules ${Math.round(median(results.map((r) => r.rules)))} tx/s; ` +
        `with rules / without ${(100 * median(results.map(({ rules, redis }) => rules / redis))).toFixed(0)} % (goal ≥ 90 %)`,
    );
    console.log(
      `median of ${rounds}: detector (Redis) with a shadow challenger ${Math.round(median(results.map((r) => r.challenger)))} tx/s; ` +
        `with / without ${(100 * median(results.map(({ challenger, redis }) => challenger / redis))).toFixed(0)} %`,
    );

    console.log(
      `median of ${rounds}: detector (Redis) without the scores topic ${Math.round(median(results.map((r) => r.unscored)))} tx/s; ` +
        `with every score published / without ${(100 * median(results.map(({ unscored, redis }) => redis / unscored))).toFixed(0)} %`,
    );

    if (footprint) {
      const note = benchRedis.own ? '' : ' (REDIS_URL is shared: its figures include whatever else used it)';
      for (const line of footprintLines(footprint)) console.log(`footprint (round 1, Redis detector${note}): ${line}`);
    }

    // Outside peers over the same backlog: librdkafka's floor of a hop, and a naive Python detector.
    const peerTopics = { kcat: `bench-kcat-${id}`, python: `bench-python-alerts-${id}` };
    await ensureTopics(admin, Object.values(peerTopics).map((topic) => ({ topic, partitions })));
    extraTopics.push(...Object.values(peerTopics));
    const kcat = await kcatPassthrough(brokers, topics.transactions, peerTopics.kcat, count);
    const pythonCount = Math.min(count, 100_000);
    const python = await pythonNaiveDetector(brokers, topics.transactions, peerTopics.python, `bench-python-${id}`, pythonCount);
    const detectorMedian = median(results.map((r) => r.redis));
    const versus = (result: PeerResult): string => ('skipped' in result ? '' : `; the detector (Redis, median) is ${(detectorMedian / result.perSecond).toFixed(2)}× this`);
    console.log(`peer: ${peerLine('kcat consume → produce (librdkafka, the floor of a hop)', kcat)}${versus(kcat)}`);
    console.log(`peer: ${peerLine('naive Python detector (kafka-python, message by message)', python)}${versus(python)}`);

    // Latency: a fresh replica on a fresh topic, fed at a fixed rate with event time = now.
    for (const store of ['redis', 'memory'] as const) {
      const input = `${latencyTopics.latency}-${store}`;
      const alerts = `${latencyTopics.latencyAlerts}-${store}`;
      await ensureTopics(admin, [input, alerts].map((topic) => ({ topic, partitions })));
      extraTopics.push(input, alerts);
      const live = await spawnDetector(input, alerts, `bench-latency-${store}-${id}`, store);
      const result = await measureLatency(kafka, input, alerts, rate, seconds, warmupSeconds);
      const liveMemory = rssOf(live.pid as number);
      const { latencies, warmup, sent, toProduced, toRead } = result;
      const quantile = (values: number[], q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;
      const pick = (q: number) => quantile(latencies, q);
      const parts = (values: number[]) => [0.5, 0.9, 0.99].map((q) => quantile(values, q).toFixed(0)).join(' / ');
      console.log(
        `latency, ${store} store, at ${(sent / (seconds + warmupSeconds)).toFixed(0)} tx/s for ${seconds} s after ${warmupSeconds} s of warm-up, produce → committed alert (${latencies.length} alerts): ` +
          `p50 ${pick(0.5).toFixed(1)} ms, p95 ${pick(0.95).toFixed(1)} ms, p99 ${pick(0.99).toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms; ` +
          `RSS ${liveMemory.rssMb.toFixed(0)} MB (load ${loadavg()[0]?.toFixed(1)})`,
      );
      console.log(
        `  in two parts (p50 / p90 / p99, ms): produce → alert sent by the detector ${parts(toProduced)}; ` +
          `alert sent → read committed (transaction commit, markers, reader's fetch) ${parts(toRead)}`,
      );
      console.log(
        `  warm-up (first ${warmupSeconds} s, not in the figures above): ${warmup.length} alerts, ` +
          `p50 ${quantile(warmup, 0.5).toFixed(1)} ms, p99 ${quantile(warmup, 0.99).toFixed(1)} ms, max ${(warmup.at(-1) ?? NaN).toFixed(1)} ms`,
      );
      console.log(`  ${await batchSummary(live.port)}`);
      live.kill('SIGTERM');
    }
    console.log(`load average at the end: ${loadavg()[0]?.toFixed(1)}`);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await Promise.all(
      children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve())),
    );
    const controlTopics = [control.none, control.some].flatMap(({ rules, lists }) => [rules, lists]);
    await admin.deleteTopics({ topics: [...Object.values(topics), ...controlTopics, ...extraTopics] }).catch(() => {});
    await admin.disconnect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await redis.quit();
    await benchRedis.stop();
    await broker.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
