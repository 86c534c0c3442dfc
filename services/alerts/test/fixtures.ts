import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { inject, onTestFinished } from 'vitest';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import type { FastifyInstance } from 'fastify';
import { alertIdFor, cardIdFor, decodeLabel, terminalIdFor, transactionIdFor, type Alert, type Label, type Logger, type NamedList, type Producer, type Rule, type ScoredTransaction } from '@fraudstream/shared';
import { buildApp, type AlertsAppOptions } from '../src/app.js';
import type { LabelPublisher } from '../src/feedback.js';
import { createMetrics, type Metrics } from '../src/metrics.js';
import { createLabelOutbox, type LabelOutbox, type LabelOutboxOptions } from '../src/outbox.js';
import type { ControlChannel, ControlEvent } from '../src/rules/registry.js';
import { createAlertFeed } from '../src/stream/alert-feed.js';
import { testLog } from '../../../test/support/kafka.js';
import { createAlertStore, type AlertStore } from '../src/store/alert-store.js';
import { openPostgres, pgliteDatabase, type Database } from '../src/store/database.js';

/** The PostgreSQL server of the test machine and CI (trust authentication, database `test`). */
export const testDatabaseUrl = 'postgres://postgres@127.0.0.1:5432/test';

let nextTransaction = Number.parseInt(randomBytes(3).toString('hex'), 16) * 1000;

export interface AlertOverrides {
  transactionId?: string;
  cardId?: string;
  terminalId?: string;
  amount?: number;
  score?: number;
  modelVersion?: string;
  detectedAt?: string;
  decision?: Alert['decision'];
  ruleHits?: Alert['ruleHits'];
  challenger?: Alert['challenger'];
}

/** A valid alert event; each call is about a new transaction unless `transactionId` is given. */
export function makeAlert(overrides: AlertOverrides = {}): Alert {
  const transactionId = overrides.transactionId ?? transactionIdFor((nextTransaction += 1));
  const detectedAt = overrides.detectedAt ?? new Date().toISOString();
  const cardId = overrides.cardId ?? cardIdFor(42);
  return {
    schemaVersion: 1,
    alertId: alertIdFor({ transactionId, cardId }),
    transaction: {
      schemaVersion: 1,
      transactionId,
      timestamp: new Date(Date.parse(detectedAt) - 1500).toISOString(),
      cardId,
      terminalId: overrides.terminalId ?? terminalIdFor(7),
      amount: overrides.amount ?? 123.45,
      currency: 'EUR',
    },
    score: overrides.score ?? 0.91,
    threshold: 0.5,
    modelVersion: overrides.modelVersion ?? 'model-test-1',
    reasons: [
      { feature: 'terminalRisk7d', value: 0.8, typical: 0.02, contribution: 0.41 },
      { feature: 'amountVsCardMean7d', value: 6.2, typical: 1, contribution: 0.17 },
    ],
    decision: overrides.decision ?? 'review',
    ruleHits: overrides.ruleHits ?? [],
    ...(overrides.challenger ? { challenger: overrides.challenger } : {}),
    detectedAt,
  };
}

/** A fresh PostgreSQL schema for one test, dropped when the test ends. */
export async function openTestPostgres(): Promise<Database> {
  const schema = `alerts_test_${randomBytes(6).toString('hex')}`;
  const db = await openPostgres({ connectionString: testDatabaseUrl, schema, maxConnections: 4 });
  onTestFinished(async () => {
    await db.close().catch(() => {});
    const admin = new pg.Client({ connectionString: testDatabaseUrl });
    await admin.connect();
    try {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await admin.end();
    }
  });
  return db;
}

let sharedPglite: Promise<PGlite> | undefined;
/** Serialises the schemas' turns on the one PGlite session (each turn sets its search_path first). */
let pgliteTurn: Promise<unknown> = Promise.resolve();
let pgliteSchema = '';

/**
 * A fresh PGlite database for one test: a schema of its own, dropped when the test ends, in the one
 * in-memory PGlite of its test file, loaded from the run's initialised copy (test/setup/pglite.ts).
 * PGlite's initialisation takes seconds, a schema milliseconds; the store's SQL is schema-relative, as
 * it is on PostgreSQL (`openTestPostgres`). A test's queries after it closed its database are refused.
 */
export async function openTestPglite(): Promise<Database> {
  sharedPglite ??= readFile(inject('pgliteDataDir')).then((tarball) => PGlite.create({ loadDataDir: new Blob([tarball]) }));
  const pglite = await sharedPglite;
  const schema = `alerts_test_${randomBytes(6).toString('hex')}`;
  let closed = false;
  const inSchema = <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new Error('the test database is closed'));
    const turn = pgliteTurn.then(async () => {
      if (pgliteSchema !== schema) {
        await pglite.exec(`SET search_path TO ${schema}`);
        pgliteSchema = schema;
      }
      return work();
    });
    pgliteTurn = turn.catch(() => {});
    return turn;
  };
  await pglite.exec(`CREATE SCHEMA ${schema}`);
  const inner = pgliteDatabase(pglite);
  const db: Database = {
    kind: 'pglite',
    query: (sql, params) => inSchema(() => inner.query(sql, params)),
    transaction: (work) => inSchema(() => inner.transaction(work)),
    async close() {
      if (closed) return;
      await inSchema(() => pglite.exec(`DROP SCHEMA ${schema} CASCADE`));
      closed = true;
    },
  };
  onTestFinished(() => db.close());
  return db;
}

/**
 * The backends the store runs on, for `describe.each`: PGlite in the unit project, PostgreSQL in the
 * integration project (vitest.config.ts sets FRAUDSTREAM_TEST_DATABASE), both when run on their own.
 */
export const backends = [
  { name: 'PostgreSQL', database: 'postgresql', open: openTestPostgres },
  { name: 'PGlite', database: 'pglite', open: openTestPglite },
].filter(({ database }) => [undefined, database].includes(process.env['FRAUDSTREAM_TEST_DATABASE']));

export async function openTestStore(open: () => Promise<Database>): Promise<AlertStore> {
  return createAlertStore(await open());
}

/** A label publisher that publishes nothing and counts how often the API woke it (for apps whose labels are not the point). */
export function recordingLabels(): LabelPublisher & { wakes: number } {
  return {
    wakes: 0,
    wake() {
      this.wakes++;
    },
    problems: () => [],
  };
}

export interface SentLabel {
  topic: string;
  key: string;
  label: Label;
}

/**
 * Stands in for Kafka in the API and outbox tests: a `sendBatch` that records what it was given, in
 * order, as if acknowledged. Patch `sendBatch` to make sends fail.
 */
export function recordingProducer(): Pick<Producer, 'sendBatch'> & { sent: SentLabel[]; labels(): Label[] } {
  const sent: SentLabel[] = [];
  return {
    sent,
    labels: () => sent.map((message) => message.label),
    async sendBatch({ topicMessages = [] }) {
      for (const { topic, messages } of topicMessages) {
        for (const message of messages) {
          const decoded = decodeLabel(message.value as string | Buffer);
          if (!decoded.ok) throw new Error(`the outbox sent something that is not a Label: ${String(message.value)}`);
          sent.push({ topic, key: String(message.key), label: decoded.value });
        }
      }
      return [];
    },
  };
}

export const testLabelsTopic = 'fraud.labels';

/** The label outbox of `store`, sending to `producer` on testLabelsTopic; not started (tests call publishPending or start). */
export function testOutbox(
  store: AlertStore,
  producer: Pick<Producer, 'sendBatch'>,
  options: Partial<LabelOutboxOptions> & { metrics?: Metrics } = {},
): LabelOutbox {
  const outbox = createLabelOutbox({
    outbox: store.labelOutbox,
    producer,
    topic: testLabelsTopic,
    metrics: options.metrics ?? createMetrics(),
    log: testLog,
    maxPendingMs: 60_000,
    backoff: { initialMs: 10, maxMs: 50 },
    pollIntervalMs: 50,
    ...options,
  });
  onTestFinished(() => outbox.stop());
  return outbox;
}

export const apiToken = 'test-api-token-0123456789';
export const adminToken = 'test-admin-token-0123456789';
export const readToken = 'test-read-token-0123456789';

/**
 * The app on a fresh store of the given backend, closed when the test ends, with its label outbox
 * (not started: call `outbox.publishPending()`, or `outbox.start()`) sending to a recording producer.
 */
export async function testApp(
  open: () => Promise<Database>,
  options: Partial<Pick<AlertsAppOptions, 'readToken' | 'now' | 'corsOrigins' | 'rules' | 'modelHealth'>> & { outbox?: Partial<LabelOutboxOptions>; log?: Logger } = {},
): Promise<{
  app: FastifyInstance;
  store: AlertStore;
  metrics: Metrics;
  outbox: LabelOutbox;
  producer: ReturnType<typeof recordingProducer>;
}> {
  const { outbox: outboxOptions, log = testLog, ...appOptions } = options;
  const store = await openTestStore(open);
  const metrics = createMetrics();
  const producer = recordingProducer();
  const outbox = testOutbox(store, producer, { metrics, ...outboxOptions });
  const feed = createAlertFeed({ store, metrics, log: testLog });
  const app = await buildApp({ store, labels: outbox, feed, metrics, apiToken, log, ...appOptions });
  onTestFinished(() => app.close());
  return { app, store, metrics, outbox, producer };
}

/** The control topics as a log in memory: what the Kafka-backed channel keeps, without a broker. */
export function memoryChannel(): ControlChannel & { published: ControlEvent[]; down: boolean } {
  const rules = new Map<string, Rule>();
  const lists = new Map<string, NamedList>();
  const channel = {
    published: [] as ControlEvent[],
    down: false,
    current: () => ({ rules, lists }),
    publish: async (event: ControlEvent) => {
      channel.published.push(event);
      if (event.kind === 'rule') {
        if (event.value) rules.set(event.id, event.value);
        else rules.delete(event.id);
      } else if (event.value) lists.set(event.id, event.value);
      else lists.delete(event.id);
    },
    problems: () => (channel.down ? ['fraud.rules: broker unreachable'] : []),
  };
  return channel;
}

/** A scored payment as fraud.scores carries it (card `card-<second part of the id>`). */
export const scoredPayment = (id: string, timestamp: string, overrides: Partial<ScoredTransaction> = {}): ScoredTransaction => ({
  schemaVersion: 1,
  transactionId: id,
  cardId: `card-${id.split('-')[1] ?? id}`,
  timestamp,
  terminalId: 'term-1',
  amount: 42.5,
  currency: 'EUR',
  score: 0.1,
  threshold: 0.5,
  flagged: false,
  modelVersion: 'm1',
  decision: null,
  ruleHits: [],
  shadowHits: [],
  features: [1, 2.5, 0],
  ...overrides,
});

export const chargeback = (payment: ScoredTransaction, labeledAt: string, fraud = true): Label => ({
  schemaVersion: 1,
  transactionId: payment.transactionId,
  cardId: payment.cardId,
  terminalId: payment.terminalId ?? 'term-1',
  transactionTimestamp: payment.timestamp,
  fraud,
  source: 'chargeback',
  labeledAt,
});
