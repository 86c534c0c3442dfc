import { setTimeout as sleep } from 'node:timers/promises';
import {
  CompressionTypes,
  encode,
  ProducerEnv,
  ResilientProducer,
  type BackoffOptions,
  type Kafka,
  type Label,
  type Logger,
  type Message,
  type Producer,
  type ProducerSource,
  type Transaction,
} from '@fraudstream/shared';
import { LabelQueue, Pacer, chargebackFor, type PacingOptions } from './schedule.js';
import type { TransactionSource } from './sources.js';

export interface ProducerTopics {
  transactions: string;
  labels: string;
}

/**
 * `createProducer` (createIdempotentProducer) gives the service producers of its own: one at the
 * start, a new one each time a producer's idempotent session ends (see ResilientProducer); it
 * connects them and disconnects them when it stops. A `producer` of the caller's is used as it is.
 */
export type ProducerServiceOptions = ProducerSource & {
  /** Sends are retried after a failure with this backoff, forever by default. */
  backoff?: BackoffOptions;
  source: TransactionSource;
  topics: ProducerTopics;
  labelDelayMs: number;
  pacing: PacingOptions;
  log: Logger;
  /** Messages per produce request at most (default: PRODUCER_BATCH_SIZE's). */
  batchSize?: number;
  compression?: ProducerEnv['PRODUCER_COMPRESSION'];
  /** Stop after this many transactions. */
  maxEvents?: number;
  /** Stop after this long (wall clock). */
  durationMs?: number;
  statsIntervalMs?: number;
  /** Injected in tests. */
  now?: () => number;
};

export type StopReason = 'end-of-source' | 'max-events' | 'duration' | 'stopped';

export interface ProducerSummary {
  transactions: number;
  labels: number;
  /** Labels whose time had not come when the stream stopped (never for a replay read to its end). */
  labelsNotDue: number;
  badRows: number;
  /** Transactions older than one sent before them (a replay file out of order); sent anyway. */
  outOfOrder: number;
  firstEventTime?: string;
  lastEventTime?: string;
  stoppedBy: StopReason;
  seconds: number;
  /** Failed sends and connects that were tried again. */
  sendRetries: number;
  /** Producers replaced after their idempotent session ended. */
  producerRecreations: number;
}

export interface ProducerService {
  /**
   * Streams until the source ends (a replay; pending labels then go out at once), a bound is hit or
   * `stop()`. Rejects only on an error no resend can mend (a batch too large, no authorisation) or
   * when the broker stayed away longer than `backoff.maxOutageMs`.
   */
  run(): Promise<ProducerSummary>;
  /** Asks the stream to stop; resolves once what was queued has been sent and acknowledged. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The producer the service wants: idempotent (so acks=all and no duplicates on kafkajs' own retries),
 * one request in flight (so retries keep order). Idempotence wants unlimited retries (kafkajs warns
 * otherwise); kafkajs still gives up on a broker it cannot reach after its client's connection
 * retries (about 40 s), and the service then carries on with a new producer (ResilientProducer).
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 30_000 },
  });
}

/** Pauses shorter than this are not worth a timer: the stream runs on and catches up. */
const MIN_SLEEP_MS = 2;

/**
 * Publishes the source's transactions (key = cardId) and, for every fraud, a chargeback label
 * `labelDelayMs` later in event time. A label goes out only after every transaction up to its time
 * has been sent and acknowledged (the queue is flushed before it), so a consumer never sees a label
 * before its transaction, and the detector's delayed terminal windows see labels when they would
 * exist. History before `pacing.liveFromMs` goes as fast as the broker takes it; live events follow
 * the rate and the simulated clock (see Pacer).
 *
 * A failed send is retried, the same batch and nothing behind it, until the broker takes it: a broker
 * outage holds the stream back and loses nothing, and labels still follow their transactions. A
 * resend with a new producer may write a second copy of what the broker had taken before the failure;
 * consumers dedupe by transactionId.
 */
/** The environment's defaults, the single source for what a caller leaves out. */
const defaults = ProducerEnv.parse({});

export function createProducerService(options: ProducerServiceOptions): ProducerService {
  const {
    backoff,
    source,
    topics,
    labelDelayMs,
    pacing,
    log,
    batchSize = defaults.PRODUCER_BATCH_SIZE,
    compression = defaults.PRODUCER_COMPRESSION,
    maxEvents,
    durationMs,
    statsIntervalMs = defaults.PRODUCER_STATS_INTERVAL_MS,
    now = () => performance.now(),
  } = options;
  const producer = new ResilientProducer(
    options.createProducer ? { createProducer: options.createProducer, log, backoff } : { producer: options.producer, log, backoff },
  );
  const pacer = new Pacer(pacing);
  const labels = new LabelQueue();
  const stopping = new AbortController();
  let stopReason: StopReason | undefined;
  let running: Promise<ProducerSummary> | undefined;

  let transactionMessages: Message[] = [];
  let labelMessages: Message[] = [];
  let queuedTransactions = 0;
  let sentTransactions = 0;
  let sentLabels = 0;
  let outOfOrder = 0;
  let lastTimestampMs = Number.NEGATIVE_INFINITY;
  let firstEventTime: string | undefined;
  let lastEventTime: string | undefined;
  let live = false;

  const requestStop = (reason: StopReason): void => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    stopping.abort();
  };

  const flush = async (): Promise<void> => {
    if (transactionMessages.length === 0 && labelMessages.length === 0) return;
    const topicMessages = [
      ...(transactionMessages.length > 0 ? [{ topic: topics.transactions, messages: transactionMessages }] : []),
      ...(labelMessages.length > 0 ? [{ topic: topics.labels, messages: labelMessages }] : []),
    ];
    const counts = [transactionMessages.length, labelMessages.length] as const;
    transactionMessages = [];
    labelMessages = [];
    await producer.sendBatch({
      topicMessages,
      acks: -1,
      compression: compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
    });
    sentTransactions += counts[0];
    sentLabels += counts[1];
  };

  /** Waits for the event's wall time (sending what is queued first); false when asked to stop meanwhile. */
  const waitFor = async (eventMs: number, isTransaction: boolean): Promise<boolean> => {
    const delay = pacer.sendAt(eventMs, isTransaction, now()) - now();
    if (delay < MIN_SLEEP_MS) return true;
    await flush();
    try {
      await sleep(delay, undefined, { signal: stopping.signal });
    } catch {
      return false;
    }
    return true;
  };

  const sendLabel = async (label: Label): Promise<boolean> => {
    if (!(await waitFor(Date.parse(label.labeledAt), false))) return false;
    if (transactionMessages.length > 0) await flush();
    labelMessages.push({ key: label.cardId, value: encode(label) });
    if (labelMessages.length >= batchSize) await flush();
    return true;
  };

  const sendTransaction = async (transaction: Transaction, timestampMs: number): Promise<boolean> => {
    if (!(await waitFor(timestampMs, true))) return false;
    if (!live && timestampMs >= pacing.liveFromMs) {
      live = true;
      if (Number.isFinite(pacing.liveFromMs)) {
        await flush();
        log.info({ eventTime: transaction.timestamp, transactions: sentTransactions, labels: sentLabels }, 'history sent; streaming live');
      }
    }
    // Labels due before this transaction are acknowledged before it is sent: in the same request, the
    // transaction's partition could be written while the label's is not yet (another leader, one that
    // fails and is retried), and a detector would score the transaction without the label.
    if (labelMessages.length > 0) await flush();
    transactionMessages.push({ key: transaction.cardId, value: encode(transaction) });
    queuedTransactions++;
    if (timestampMs < lastTimestampMs) outOfOrder++;
    else lastTimestampMs = timestampMs;
    firstEventTime ??= transaction.timestamp;
    lastEventTime = transaction.timestamp;
    if (transactionMessages.length + labelMessages.length >= batchSize) await flush();
    return true;
  };

  const stream = async (): Promise<void> => {
    for await (const chunk of source.events) {
      for (const { transaction, timestampMs, fraud } of chunk) {
        if (stopReason !== undefined) return;
        // Labels due before this transaction (strictly: one due at its very time waits for it).
        for (let due = labels.peekDueMs(); due !== undefined && due < timestampMs; due = labels.peekDueMs()) {
          if (!(await sendLabel(labels.shift() as Label))) return;
        }
        if (!(await sendTransaction(transaction, timestampMs))) return;
        if (fraud) labels.push(chargebackFor(transaction, labelDelayMs));
        if (maxEvents !== undefined && queuedTransactions >= maxEvents) return requestStop('max-events');
        if (stopReason !== undefined) return;
      }
    }
    if (stopReason !== undefined) return;
    // The end of a file: every label still pending goes out now, in event-time order.
    await flush();
    for (let label = labels.shift(); label !== undefined; label = labels.shift()) {
      labelMessages.push({ key: label.cardId, value: encode(label) });
      if (labelMessages.length >= batchSize) await flush();
    }
    stopReason = 'end-of-source';
  };

  const run = async (): Promise<ProducerSummary> => {
    const startedAt = now();
    let last = { at: startedAt, transactions: 0 };
    const stats = setInterval(() => {
      const at = now();
      const rate = ((sentTransactions - last.transactions) * 1000) / Math.max(1, at - last.at);
      last = { at, transactions: sentTransactions };
      log.info(
        {
          transactions: sentTransactions,
          labels: sentLabels,
          perSecond: Math.round(rate),
          eventTime: lastEventTime,
          pendingLabels: labels.size,
          live,
          ...producer.counters,
        },
        'throughput',
      );
    }, statsIntervalMs);
    stats.unref();
    const deadline = durationMs === undefined ? undefined : setTimeout(() => requestStop('duration'), durationMs);
    try {
      await producer.connect();
      await stream();
      await flush();
    } finally {
      clearInterval(stats);
      clearTimeout(deadline);
      await producer.disconnect().catch((err: unknown) => log.warn({ err }, 'disconnecting the producer failed'));
    }
    return {
      transactions: sentTransactions,
      labels: sentLabels,
      labelsNotDue: labels.size,
      badRows: source.badRows(),
      outOfOrder,
      ...(firstEventTime === undefined ? {} : { firstEventTime }),
      ...(lastEventTime === undefined ? {} : { lastEventTime }),
      stoppedBy: stopReason ?? 'end-of-source',
      seconds: (now() - startedAt) / 1000,
      ...producer.counters,
    };
  };

  return {
    run() {
      running ??= run();
      return running;
    },
    async stop() {
      requestStop('stopped');
      if (running) await running.catch(() => undefined);
    },
  };
}
