import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger, Producer } from '@fraudstream/shared';
import type { LabelPublisher } from './feedback.js';
import type { Metrics } from './metrics.js';
import type { LabelOutboxStore, PendingLabel } from './store/label-outbox.js';

export interface LabelOutboxOptions {
  outbox: LabelOutboxStore;
  /** Anything that sends a batch: the service's ResilientProducer, or a connected kafkajs producer. */
  producer: Pick<Producer, 'sendBatch'>;
  topic: string;
  metrics: Metrics;
  log: Logger;
  /** A label pending longer than this is a problem (`problems()`, hence /readyz). */
  maxPendingMs: number;
  /** How often the outbox is read when nothing wakes the publisher (labels recorded by another replica). */
  pollIntervalMs?: number;
  /** Labels per Kafka batch. */
  batchSize?: number;
  /** How long the publisher lease lasts unless renewed: how soon another replica takes over from a dead one. */
  leaseMs?: number;
  /** Wait after a failed round, doubling after each further one up to `maxMs`; retried forever. */
  backoff?: { initialMs?: number; maxMs?: number };
}

export interface LabelOutbox extends LabelPublisher {
  /** Starts publishing: at once, whenever woken, every `pollIntervalMs`, and after failures with backoff. */
  start(): void;
  /**
   * Publishes what is pending, oldest first, until the outbox is empty or another replica holds the
   * lease; returns how many labels Kafka acknowledged. Throws what failed (the labels stay pending).
   * Runs after the round in progress, never beside it.
   */
  publishPending(): Promise<number>;
  /** Stops the loop after the round in flight (its labels acknowledged and deleted, or left pending). Idempotent. */
  stop(): Promise<void>;
}

const errorSummary = (err: unknown): string =>
  (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).replace(/\s+/g, ' ').slice(0, 200);

/**
 * Publishes the labels that AlertStore.recordFeedback queued with each verdict to fraud.labels,
 * keyed by card, oldest first, and deletes them only once Kafka acknowledged them (acks=all).
 * A crash between the two sends them again: at least once, which is harmless (a detector applying
 * the same label twice changes nothing). Replicas on one database take turns through a lease row,
 * so one publishes at a time and the order holds across them; a dead holder's lease runs out after
 * `leaseMs`. No database transaction is held while Kafka is asked (PGlite runs one at a time).
 */
export function createLabelOutbox(options: LabelOutboxOptions): LabelOutbox {
  const { outbox, producer, topic, metrics, log, maxPendingMs } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const batchSize = options.batchSize ?? 100;
  const leaseMs = options.leaseMs ?? 30_000;
  const initialBackoffMs = options.backoff?.initialMs ?? 500;
  const maxBackoffMs = options.backoff?.maxMs ?? 30_000;
  const owner = randomUUID();

  let backlog = { pending: 0, oldestAgeMs: null as number | null, observedAt: Date.now() };
  let failures = 0;
  let lastError: string | undefined;
  let turn: Promise<unknown> = Promise.resolve();
  let loop: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  let woken = false;
  let wakeUp: (() => void) | undefined;
  const stopping = new AbortController();

  const observe = async (): Promise<void> => {
    const { pending, oldestAgeMs } = await outbox.backlog();
    backlog = { pending, oldestAgeMs, observedAt: Date.now() };
    metrics.outboxPending.set(pending);
    metrics.outboxOldestAge.set((oldestAgeMs ?? 0) / 1000);
  };
  const observeQuietly = (): Promise<void> => observe().catch((err: unknown) => log.debug({ err }, 'reading the label outbox backlog failed'));

  /** Sends one batch, renewing the lease (and the backlog gauges) while Kafka takes its time. */
  const send = async (labels: PendingLabel[]): Promise<void> => {
    let beating: Promise<void> = Promise.resolve();
    const heartbeat = setInterval(() => {
      beating = beating
        .then(async () => {
          if (!(await outbox.takeLease(owner, leaseMs))) log.warn({ labels: labels.length }, 'label outbox lease lost during a send; labels may be published twice');
          await observe();
        })
        .catch((err: unknown) => log.warn({ err }, 'renewing the label outbox lease failed'));
    }, Math.max(1, Math.floor(leaseMs / 3)));
    try {
      await producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic, messages: labels.map((label) => ({ key: label.cardId, value: label.message })) }],
      });
    } finally {
      clearInterval(heartbeat);
      await beating;
    }
  };

  const pass = async (): Promise<number> => {
    let published = 0;
    let holding = false;
    try {
      for (;;) {
        await observe();
        if (backlog.pending === 0) return published;
        holding = await outbox.takeLease(owner, leaseMs);
        if (!holding) return published;
        const labels = await outbox.pending(batchSize);
        if (labels.length === 0) return published;
        await send(labels);
        await outbox.remove(labels.map((label) => label.id));
        published += labels.length;
        metrics.labelsPublished.inc(labels.length);
        log.debug({ labels: labels.length, transactionIds: labels.map((label) => label.transactionId) }, 'labels published to fraud.labels');
      }
    } finally {
      // Whether it worked or not: a replica that cannot reach Kafka must not keep the others from trying.
      if (holding) await outbox.releaseLease(owner).catch((err: unknown) => log.debug({ err }, 'releasing the label outbox lease failed'));
    }
  };

  const publishPending = (): Promise<number> => {
    const result = turn.then(pass).then(
      (published) => {
        lastError = undefined;
        return published;
      },
      (err: unknown) => {
        lastError = errorSummary(err);
        metrics.labelPublishFailures.inc();
        throw err;
      },
    );
    turn = result.catch(() => undefined);
    return result;
  };

  /** Resolves after `ms`, or sooner when woken or stopped. */
  const idle = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stopping.signal.aborted) {
        resolve();
        return;
      }
      function done(): void {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        wakeUp = undefined;
        resolve();
      }
      const timer = setTimeout(done, ms);
      stopping.signal.addEventListener('abort', done, { once: true });
      wakeUp = done;
    });

  /** Waits out a backoff (a wake does not shorten it), keeping the backlog gauges current meanwhile. */
  const backOff = async (ms: number): Promise<void> => {
    const until = Date.now() + ms;
    while (!stopping.signal.aborted && Date.now() < until) {
      await sleep(Math.min(pollIntervalMs, until - Date.now()), undefined, { signal: stopping.signal }).catch(() => {});
      if (!stopping.signal.aborted) await observeQuietly();
    }
  };

  const run = async (): Promise<void> => {
    while (!stopping.signal.aborted) {
      woken = false;
      try {
        await publishPending();
        if (failures > 0) log.info({ failedRounds: failures, pending: backlog.pending }, 'publishing labels to fraud.labels works again');
        failures = 0;
      } catch (err) {
        failures++;
        const retryInMs = Math.min(initialBackoffMs * 2 ** Math.min(failures - 1, 30), maxBackoffMs);
        log.warn({ err, attempt: failures, retryInMs, pending: backlog.pending }, 'publishing labels to fraud.labels failed; retrying');
        await backOff(retryInMs);
        continue;
      }
      if (!woken) await idle(pollIntervalMs);
    }
  };

  return {
    start() {
      if (loop !== undefined || stopping.signal.aborted) return;
      loop = run();
    },
    wake() {
      woken = true;
      wakeUp?.();
    },
    problems() {
      if (backlog.oldestAgeMs === null) return [];
      const ageMs = backlog.oldestAgeMs + (Date.now() - backlog.observedAt);
      if (ageMs <= maxPendingMs) return [];
      return [
        `${backlog.pending} label(s) pending, the oldest for ${Math.round(ageMs / 1000)} s (more than ${Math.round(maxPendingMs / 1000)} s)` +
          (lastError === undefined ? '' : `; last error: ${lastError}`),
      ];
    },
    publishPending,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await loop;
        await turn;
      })();
      return stopped;
    },
  };
}
