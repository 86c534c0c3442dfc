import { describe, expect, it } from 'vitest';
import { ResilientProducer, classifySendError, isFraudstreamError, retryWithBackoff, type KafkaProducer, type Producer } from '@fraudstream/shared';
import { testLog } from '../../../test/support/kafka.js';

/** Errors shaped as kafkajs 2.2.4 throws them (name, type, retriable, and what they wrap in `cause`). */
const kafkajs = {
  protocol: (type: string, retriable: boolean) => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable }),
  connection: () => Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092'), { name: 'KafkaJSConnectionError', retriable: true }),
  nonRetriable: (cause: Error) => Object.assign(new Error(cause.message, { cause }), { name: 'KafkaJSNonRetriableError', retriable: false }),
  disconnected: () => Object.assign(new Error('The producer is disconnected'), { name: 'KafkaJSError', retriable: true }),
};

function recordingLog() {
  const log = testLog.child({});
  const warnings: Array<Record<string, unknown>> = [];
  log.warn = ((fields: Record<string, unknown>) => warnings.push(fields)) as typeof log.warn;
  return { log, warnings };
}

/** In-memory producers whose sends fail as `failures` says, one entry per attempt, then succeed. */
function fakeProducers(failures: Array<Error | undefined>) {
  const producers: Array<{ connects: number; disconnects: number; batches: number }> = [];
  const createProducer = (): KafkaProducer => {
    const state = { connects: 0, disconnects: 0, batches: 0 };
    producers.push(state);
    return {
      connect: async () => {
        state.connects++;
      },
      disconnect: async () => {
        state.disconnects++;
      },
      sendBatch: async () => {
        const failure = failures.shift();
        if (failure) throw failure;
        state.batches++;
        return [];
      },
    };
  };
  return { producers, createProducer };
}

const batch = { topicMessages: [{ topic: 't', messages: [{ value: 'x' }] }] };

describe('classifySendError', () => {
  it('replaces the producer when kafkajs gave up on it or its idempotent session is over, and retries other errors on it', () => {
    expect(classifySendError(kafkajs.nonRetriable(kafkajs.connection()))).toBe('new-producer');
    for (const type of ['OUT_OF_ORDER_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH', 'UNKNOWN_PRODUCER_ID', 'PRODUCER_FENCED']) {
      expect(classifySendError(kafkajs.protocol(type, false)), type).toBe('new-producer');
      expect(classifySendError(new Error('wrapped', { cause: kafkajs.protocol(type, false) })), type).toBe('new-producer');
    }
    expect(classifySendError(kafkajs.disconnected())).toBe('new-producer');
    expect(classifySendError(new Error('Producer fenced by a newer instance'))).toBe('new-producer');
    expect(classifySendError(kafkajs.protocol('REQUEST_TIMED_OUT', true))).toBe('retry');
    expect(classifySendError(kafkajs.connection())).toBe('retry');
  });

  it('gives up at once on what no resend can mend', () => {
    expect(classifySendError(kafkajs.protocol('MESSAGE_TOO_LARGE', false))).toBe('fatal');
    expect(classifySendError(kafkajs.nonRetriable(kafkajs.protocol('TOPIC_AUTHORIZATION_FAILED', false)))).toBe('fatal');
    expect(classifySendError(new TypeError('x is not a function'))).toBe('fatal');
  });
});

describe('retryWithBackoff', () => {
  it('waits twice as long after each failure, up to the bound, warning once per failure', async () => {
    const { log, warnings } = recordingLog();
    let attempts = 0;
    const result = await retryWithBackoff(
      'send',
      async () => {
        if (++attempts <= 5) throw kafkajs.connection();
        return 'sent';
      },
      { log, backoff: { initialMs: 1, maxMs: 4 } },
    );
    expect(result).toBe('sent');
    expect(warnings.map(({ attempt, retryInMs }) => [attempt, retryInMs])).toEqual([
      [1, 1],
      [2, 2],
      [3, 4],
      [4, 4],
      [5, 4],
    ]);
  });

  it('throws a fatal error without retrying, and KAFKA_UNAVAILABLE after the longest outage allowed', async () => {
    const { log, warnings } = recordingLog();
    const tooLarge = kafkajs.protocol('MESSAGE_TOO_LARGE', false);
    await expect(retryWithBackoff('send', () => Promise.reject(tooLarge), { log })).rejects.toBe(tooLarge);
    expect(warnings).toEqual([]);

    const refused = kafkajs.nonRetriable(kafkajs.connection());
    const outage = await retryWithBackoff('send', () => Promise.reject(refused), { log, backoff: { initialMs: 5, maxOutageMs: 30 } }).catch((err: unknown) => err);
    expect(isFraudstreamError(outage, 'KAFKA_UNAVAILABLE')).toBe(true);
    expect((outage as Error).cause).toBe(refused);
    expect(warnings.length).toBeGreaterThan(0);
  });
});

describe('ResilientProducer', () => {
  it('connects once, resends a batch on a new producer after an error that ends its session, and counts', async () => {
    const { log, warnings } = recordingLog();
    const { producers, createProducer } = fakeProducers([
      undefined,
      kafkajs.protocol('REQUEST_TIMED_OUT', true),
      kafkajs.protocol('OUT_OF_ORDER_SEQUENCE_NUMBER', false),
    ]);
    const producer = new ResilientProducer({ createProducer, log, backoff: { initialMs: 1 } });
    await producer.connect();
    await producer.sendBatch(batch);
    await producer.sendBatch(batch);
    expect(producers).toEqual([
      { connects: 1, disconnects: 1, batches: 1 },
      { connects: 1, disconnects: 0, batches: 1 },
    ]);
    expect(producer.counters).toEqual({ sendRetries: 2, producerRecreations: 1 });
    expect(warnings.map(({ attempt, newClient }) => [attempt, newClient])).toEqual([
      [1, false],
      [2, true],
    ]);
    await producer.disconnect();
    expect(producers[1]?.disconnects).toBe(1);
  });

  it('makes a new producer after a failed connect without counting it as a re-creation', async () => {
    const { log } = recordingLog();
    const { producers, createProducer } = fakeProducers([]);
    let connects = 0;
    const failingFirst = (): KafkaProducer => {
      const producer = createProducer();
      const connect = producer.connect.bind(producer);
      producer.connect = async () => {
        await connect();
        if (++connects === 1) throw kafkajs.nonRetriable(kafkajs.connection());
      };
      return producer;
    };
    const producer = new ResilientProducer({ createProducer: failingFirst, log, backoff: { initialMs: 1 } });
    await producer.sendBatch(batch);
    expect(producers.map(({ batches }) => batches)).toEqual([0, 1]);
    expect(producer.counters).toEqual({ sendRetries: 1, producerRecreations: 0 });
  });

  it("retries on a lent producer and never replaces or disconnects it", async () => {
    const { log } = recordingLog();
    let attempts = 0;
    const lent: Pick<Producer, 'sendBatch'> = {
      sendBatch: async () => {
        if (++attempts === 1) throw kafkajs.nonRetriable(kafkajs.connection());
        return [];
      },
    };
    const producer = new ResilientProducer({ producer: lent, log, backoff: { initialMs: 1 } });
    await producer.sendBatch(batch);
    await producer.disconnect();
    expect(attempts).toBe(2);
    expect(producer.counters).toEqual({ sendRetries: 1, producerRecreations: 0 });
  });
});
