import { setTimeout as sleep } from 'node:timers/promises';
import { FraudstreamError } from '../errors.js';
import type { Producer, RecordMetadata } from './client.js';
import type { Logger } from '../logger.js';

/** The part of a kafkajs producer the service uses. */
export type KafkaProducer = Pick<Producer, 'connect' | 'disconnect' | 'sendBatch'>;
export type ProducerBatch = Parameters<Producer['sendBatch']>[0];

export interface BackoffOptions {
  /** Wait after the first failure; it doubles after each further one, up to `maxMs`. */
  initialMs?: number;
  maxMs?: number;
  /**
   * Give up (FraudstreamError KAFKA_UNAVAILABLE) once attempts have failed for this long in a row,
   * counted from the start of the first failed one. Default: never.
   */
  maxOutageMs?: number;
}

export interface SendCounters {
  /** Failed attempts (sends, connects) that were tried again. */
  sendRetries: number;
  /** Connected producers dropped for a new one after an error that ends an idempotent session. */
  producerRecreations: number;
}

/** What a failed send calls for. */
export type SendFailure = 'fatal' | 'new-producer' | 'retry';

interface ErrorLike {
  name?: unknown;
  type?: unknown;
  message?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** The error and what it wraps (kafkajs nests the broker's error in `cause` or `originalError`). */
function errorChain(err: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  for (let current = err; typeof current === 'object' && current !== null && !chain.includes(current); ) {
    const e = current as ErrorLike;
    chain.push(e);
    current = e.cause ?? e.originalError;
  }
  return chain;
}

/** The same batch can never go through: retrying would stall the stream for good. */
const fatalTypes = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
]);
const programmingErrors = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError']);

/** The broker no longer accepts the producer's id, epoch or sequence numbers: only a new producer id helps. */
const sessionEndingTypes = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
]);

/**
 * Sorts a failed send. A kafkajs producer that threw a non-retriable error (that is how it gives up on
 * an unreachable broker: `KafkaJSNonRetriableError` caused by ECONNREFUSED), was fenced, disconnected,
 * or lost its idempotent session is replaced; other errors are retried with the same producer.
 */
export function classifySendError(err: unknown): SendFailure {
  const chain = errorChain(err);
  if (chain.some(({ type, name }) => fatalTypes.has(String(type)) || programmingErrors.has(String(name)))) return 'fatal';
  const endsSession = chain.some(
    ({ type, name, message }) =>
      sessionEndingTypes.has(String(type)) ||
      name === 'KafkaJSNonRetriableError' ||
      name === 'KafkaJSNumberOfRetriesExceeded' ||
      /fenced|producer is disconnect/i.test(String(message)),
  );
  return endsSession ? 'new-producer' : 'retry';
}

async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  const bound = new AbortController();
  await Promise.race([promise, sleep(ms, undefined, { signal: bound.signal }).catch(() => undefined)]);
  bound.abort();
}

export interface RetryOptions {
  log: Logger;
  backoff?: BackoffOptions;
  /** Called after each failure that will be retried, before the wait. */
  onFailure?: (failure: Exclude<SendFailure, 'fatal'>, err: unknown) => Promise<void>;
}

/**
 * Runs `attempt` until it succeeds, waiting `initialMs`, then twice as long after each further
 * failure up to `maxMs`; one warning per failure. Throws a fatal error (classifySendError) at once,
 * and gives up with KAFKA_UNAVAILABLE after `maxOutageMs` of failures.
 */
export async function retryWithBackoff<T>(what: string, attempt: () => Promise<T>, { log, backoff, onFailure }: RetryOptions): Promise<T> {
  const initialMs = backoff?.initialMs ?? 100;
  const maxMs = backoff?.maxMs ?? 30_000;
  const maxOutageMs = backoff?.maxOutageMs ?? Number.POSITIVE_INFINITY;
  let failures = 0;
  let outageStartedAt: number | undefined;
  for (;;) {
    const attemptStartedAt = Date.now();
    try {
      const result = await attempt();
      if (outageStartedAt !== undefined) log.info({ attempts: failures + 1, outageMs: Date.now() - outageStartedAt }, `${what} succeeded again`);
      return result;
    } catch (err) {
      const failure = classifySendError(err);
      if (failure === 'fatal') throw err;
      failures++;
      outageStartedAt ??= attemptStartedAt;
      const outageMs = Date.now() - outageStartedAt;
      if (outageMs >= maxOutageMs) {
        throw new FraudstreamError('KAFKA_UNAVAILABLE', `Kafka: no ${what} succeeded for ${Math.round(outageMs / 1000)} s (${failures} attempts), the longest outage allowed`, {
          cause: err,
        });
      }
      await onFailure?.(failure, err);
      const retryInMs = Math.min(initialMs * 2 ** Math.min(failures - 1, 30), maxMs, maxOutageMs - outageMs);
      log.warn({ err, attempt: failures, retryInMs, newClient: failure === 'new-producer' }, `${what} failed; retrying`);
      await sleep(retryInMs);
    }
  }
}

/** Where the producer comes from: a factory (the service's own producers), or one lent by the caller. */
export type ProducerSource =
  | {
      /** Makes a new, unconnected producer (createIdempotentProducer); it is connected, replaced and disconnected here. */
      createProducer: () => KafkaProducer;
      producer?: never;
    }
  | {
      /** The caller's own producer, connected: failed sends are retried on it, it is never replaced or disconnected. */
      producer: Pick<Producer, 'sendBatch'>;
      createProducer?: never;
    };

export type ResilientProducerOptions = ProducerSource & {
  log: Logger;
  backoff?: BackoffOptions;
};

/**
 * A kafkajs producer that outlives broker outages and its own idempotent session: an attempt that
 * fails is made again with a bounded exponential backoff, forever by default, with a new producer
 * (connected afresh) when the old one's session is over (see classifySendError). Calls must not
 * overlap: the service sends one batch at a time, and so keeps its order across retries.
 *
 * A batch is resent whole. Messages the broker had written before the failure (a partition of the
 * batch acknowledged, or the response lost) are then written again: at least once, never dropped.
 * Downstream dedupes by transactionId (labels by the transactionId they label).
 */
export class ResilientProducer {
  readonly counters: SendCounters = { sendRetries: 0, producerRecreations: 0 };
  private producer: KafkaProducer | undefined;
  private connected = false;
  private readonly lent: Pick<Producer, 'sendBatch'> | undefined;

  constructor(private readonly options: ResilientProducerOptions) {
    this.lent = options.producer;
  }

  /** Connects (retrying like a send). Optional: a send connects when it has to. */
  async connect(): Promise<void> {
    await this.retrying('producer connect', async () => {});
  }

  /** Sends the batch until it is acknowledged; throws only on a fatal error or after the longest outage allowed. */
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.retrying('send', (producer) => producer.sendBatch(batch));
  }

  async disconnect(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.connected = false;
    if (producer) await producer.disconnect();
  }

  private async connectedProducer(): Promise<Pick<Producer, 'sendBatch'>> {
    if (this.lent) return this.lent;
    this.producer ??= (this.options.createProducer as () => KafkaProducer)();
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    return this.producer;
  }

  private retrying<T>(what: string, attempt: (producer: Pick<Producer, 'sendBatch'>) => Promise<T>): Promise<T> {
    return retryWithBackoff(what, async () => attempt(await this.connectedProducer()), {
      log: this.options.log,
      backoff: this.options.backoff,
      onFailure: async (failure) => {
        this.counters.sendRetries++;
        if (failure === 'new-producer') await this.dropProducer();
      },
    });
  }

  /** Lets the producer go (its disconnect bounded: a dead broker must not hold the stream). */
  private async dropProducer(): Promise<void> {
    const { producer, connected } = this;
    this.producer = undefined;
    this.connected = false;
    if (producer === undefined) return;
    if (connected) this.counters.producerRecreations++;
    await within(
      producer.disconnect().catch((err: unknown) => this.options.log.debug({ err }, 'disconnecting the old producer failed')),
      5_000,
    );
  }
}
