/**
 * Analyst feedback benchmark (`npm run bench -- feedback`). In a throwaway PostgreSQL schema with
 * N alerts: recording N verdicts one after another through the store (the status update and the
 * label's outbox row in one transaction), against the status update alone in the same kind of
 * transaction (what recording cost before the outbox) as the baseline. Then the label outbox
 * publishing those N labels to a fresh topic on a real broker, against sending the same messages
 * straight with sendBatch in batches of the same size as the baseline. Prints numbers only.
 * Needs PostgreSQL (--database-url) and a broker (KAFKA_BROKERS, or one started from the local jars).
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createKafkaForBrokers, createLogger, ensureTopics, type Alert } from '@fraudstream/shared';
import { createMetrics } from '../../services/alerts/src/metrics.js';
import { createLabelOutbox } from '../../services/alerts/src/outbox.js';
import { createAlertStore } from '../../services/alerts/src/store/alert-store.js';
import { openPostgres } from '../../services/alerts/src/store/database.js';
import { startKafka } from '../kafka/local-broker.js';
import { benchAlert } from './support/alerts.js';

const usage = `Usage: npx tsx scripts/bench/feedback.ts [options]

  --verdicts N        verdicts recorded and labels published in each phase (default 2000)
  --database-url URL  PostgreSQL server (default postgres://postgres@127.0.0.1:5432/test);
                      everything goes into a schema feedback_bench_<random>, dropped at the end`;

const log = createLogger({ name: 'bench-feedback', level: 'warn', pretty: false });

function alertFor(index: number, base: number): Alert {
  return benchAlert(base + index, { cards: 500, terminals: 700, detectedAtMs: Date.now() - index * 1000, reasons: [] });
}

function rate(count: number, ms: number): string {
  return `${count} in ${(ms / 1000).toFixed(2)} s = ${Math.round((count * 1000) / ms)}/s (${(ms / count).toFixed(2)} ms each)`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { verdicts: { type: 'string', default: '2000' }, 'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const verdicts = Number(values.verdicts);
  if (!Number.isInteger(verdicts) || verdicts < 1) throw new Error(`Expected --verdicts to be a positive integer, got ${values.verdicts}`);
  const databaseUrl = values['database-url'];

  const schema = `feedback_bench_${randomBytes(5).toString('hex')}`;
  const kafka = await startKafka({ log });
  const db = await openPostgres({ connectionString: databaseUrl, schema, maxConnections: 4 });
  try {
    const store = await createAlertStore(db);
    console.log(`PostgreSQL schema ${schema}; Kafka ${kafka.version} at ${kafka.brokers}; ${verdicts} verdicts per phase; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`);
    const base = Number.parseInt(randomBytes(3).toString('hex'), 16) * 10_000;
    const baselineAlerts = Array.from({ length: verdicts }, (_, index) => alertFor(index, base));
    const outboxAlerts = Array.from({ length: verdicts }, (_, index) => alertFor(index + verdicts, base));
    await store.insertAlerts([...baselineAlerts, ...outboxAlerts]);

    // Baseline: the status update alone, as recording was before the outbox (same lock, same UPDATE).
    let started = performance.now();
    for (const alert of baselineAlerts) {
      await db.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.alerts_write'))`);
        await tx.query(
          `UPDATE alerts SET status = $2, feedback_note = $3, feedback_at = $4::timestamptz,
             sequence = nextval(pg_get_serial_sequence('alerts', 'sequence'))
           WHERE alert_id = $1::uuid RETURNING sequence`,
          [alert.alertId, 'fraud', 'bench', new Date().toISOString()],
        );
      });
    }
    const updateOnlyMs = performance.now() - started;
    started = performance.now();
    for (const alert of outboxAlerts) await store.recordFeedback(alert.alertId, { label: 'fraud', note: 'bench', at: new Date() });
    const withOutboxMs = performance.now() - started;
    console.log(`record verdicts, baseline (status update only): ${rate(verdicts, updateOnlyMs)}`);
    console.log(`record verdicts, status update + outbox row (one transaction): ${rate(verdicts, withOutboxMs)}`);

    const client = createKafkaForBrokers(kafka.brokers.split(','), log, 'bench-feedback');
    const admin = client.admin();
    await admin.connect();
    const [directTopic, outboxTopic] = [`bench-labels-direct-${randomBytes(4).toString('hex')}`, `bench-labels-outbox-${randomBytes(4).toString('hex')}`];
    await ensureTopics(admin, [
      { topic: directTopic, partitions: 6 },
      { topic: outboxTopic, partitions: 6 },
    ]);
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const pending = await store.labelOutbox.pending(verdicts);
      // Baseline: the same messages sent straight, 100 per batch, as the outbox batches them.
      started = performance.now();
      for (let offset = 0; offset < pending.length; offset += 100) {
        const batch = pending.slice(offset, offset + 100);
        await producer.sendBatch({ acks: -1, topicMessages: [{ topic: directTopic, messages: batch.map((label) => ({ key: label.cardId, value: label.message })) }] });
      }
      const directMs = performance.now() - started;
      const outbox = createLabelOutbox({ outbox: store.labelOutbox, producer, topic: outboxTopic, metrics: createMetrics(), log, maxPendingMs: 60_000 });
      started = performance.now();
      const published = await outbox.publishPending();
      const outboxMs = performance.now() - started;
      await outbox.stop();
      console.log(`publish labels, baseline (sendBatch of 100, no database): ${rate(pending.length, directMs)}`);
      console.log(`publish labels through the outbox (read, send, delete; batches of 100): ${rate(published, outboxMs)}`);
    } finally {
      await producer.disconnect();
      await admin.deleteTopics({ topics: [directTopic, outboxTopic] }).catch(() => {});
      await admin.disconnect();
    }
  } finally {
    await db.close();
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await kafka.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
