import { describe, expect, it, onTestFinished } from 'vitest';
import { superviseConsumer, type ConsumerState } from '@fraudstream/shared';
import { eventually } from '../../../test/support/eventually.js';
import { createTestTopics, testKafka, testLog, uniqueName } from '../../../test/support/kafka.js';

/** An error kafkajs does not restart a consumer for (not retriable, like a group coordinator never found). */
class HandlerBug extends Error {
  override name = 'HandlerBug';
  readonly retriable = false;
}

describe('superviseConsumer (real broker)', () => {
  it('restarts a consumer that kafkajs gave up on, and consumes every message after it', async () => {
    const kafka = testKafka();
    const topic = uniqueName('supervised');
    await createTestTopics(kafka, [{ topic, partitions: 2 }]);
    const producer = kafka.producer();
    await producer.connect();
    onTestFinished(() => producer.disconnect());

    const seen = new Set<string>();
    const states: ConsumerState[] = [];
    const crashes: string[] = [];
    let failuresLeft = 1;
    const consumer = kafka.consumer({ groupId: uniqueName('group'), retry: { retries: 0 } });
    const supervised = superviseConsumer({
      name: 'test',
      consumer,
      log: testLog,
      initialBackoffMs: 50,
      subscribe: (c) => c.subscribe({ topics: [topic], fromBeginning: true }),
      run: (c) =>
        c.run({
          eachMessage: async ({ message }) => {
            if (failuresLeft > 0) {
              failuresLeft -= 1;
              throw new HandlerBug('the handler failed');
            }
            seen.add(String(message.value));
          },
        }),
      onState: (state) => states.push(state),
      onCrash: (_err, restart) => crashes.push(restart),
    });
    onTestFinished(() => supervised.stop());
    const rules = { rebalanceGraceMs: 60_000, fetchStallMs: 60_000, requirePartitionsOf: [topic] };
    expect(supervised.notConsuming(rules)).toEqual(['consumer starting']);

    await supervised.start();
    await producer.send({ topic, messages: Array.from({ length: 50 }, (_, index) => ({ key: `k${index % 7}`, value: `m${index}` })) });
    await eventually('every message consumed', async () => (seen.size === 50 ? true : undefined), 60_000, 50);

    // The handler's failure was left to the supervisor (kafkajs restarts a consumer only after retriable errors).
    expect(crashes).toContain('supervisor');
    expect(supervised.status().restarts).toBeGreaterThanOrEqual(1);
    expect(states).toContain('restarting');
    await eventually('the consumer back in its group', async () => (supervised.status().state === 'consuming' ? true : undefined), 60_000, 50);
    expect(supervised.notConsuming(rules)).toEqual([]);
    expect(supervised.status().assigned[topic]).toEqual([0, 1]);

    await supervised.stop();
    expect(supervised.status().state).toBe('stopped');
    expect(supervised.notConsuming(rules)).toEqual(['consumer stopped']);
  }, 120_000);

  it('keeps trying to start while the broker cannot be reached, and says why it is not consuming', async () => {
    const kafka = testKafka();
    const consumer = kafka.consumer({ groupId: uniqueName('group'), retry: { retries: 0 } });
    let subscribeCalls = 0;
    // The real consumer, unable to connect: as when the broker is down at start-up.
    consumer.connect = () => Promise.reject(Object.assign(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'), { name: 'KafkaJSConnectionError' }));
    const supervised = superviseConsumer({
      name: 'test',
      consumer,
      log: testLog,
      initialBackoffMs: 20,
      maxBackoffMs: 40,
      subscribe: async () => {
        subscribeCalls += 1;
      },
      run: async () => {},
    });
    onTestFinished(() => supervised.stop());
    await supervised.start();
    await eventually('a few restarts', async () => (supervised.status().restarts >= 3 ? true : undefined), 60_000, 50);
    expect(subscribeCalls).toBe(0);
    expect(supervised.status().state).toBe('restarting');
    expect(supervised.notConsuming({ rebalanceGraceMs: 0, fetchStallMs: 60_000 })[0]).toMatch(/^consumer restarting \(last error: KafkaJSConnectionError: Connection error/);
  }, 60_000);
});
