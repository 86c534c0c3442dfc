import { describe, expect, it } from 'vitest';
import { createLogger } from '@fraudstream/shared';
import { createPartitionWriters, transactionalIdFor, writerProducerConfig, type PartitionProducer } from '../src/partition-writers.js';

/** The failures these tests provoke are logged; nobody needs to read them. */
const quiet = createLogger({ name: 'test', level: 'silent', pretty: false });

/** Producers that record their partition's lifecycle; a partition in `failing` fails its next connect. */
function fakeProducers() {
  const events: string[] = [];
  const failing = new Set<number>();
  const producerFor = (partition: number): PartitionProducer => ({
    connect: () => {
      events.push(`connect ${partition}`);
      if (!failing.delete(partition)) return Promise.resolve();
      return Promise.reject(new Error(`no broker for ${partition}`));
    },
    disconnect: () => Promise.resolve(void events.push(`disconnect ${partition}`)),
    transaction: () => Promise.reject(new Error('not used')),
  });
  return { events, failing, producerFor };
}

describe('partition writers', () => {
  it('makes one connected producer per partition and hands the same one out until it is closed', async () => {
    const { events, producerFor } = fakeProducers();
    const writers = createPartitionWriters({ producerFor, log: quiet });
    const first = await writers.writerFor(3);
    expect(first.verified).toBe(false);
    first.verified = true;
    expect(await writers.writerFor(3)).toBe(first);
    await writers.writerFor(5);
    expect(writers.partitions()).toEqual([3, 5]);
    expect(events).toEqual(['connect 3', 'connect 5']);

    await writers.close(3);
    const next = await writers.writerFor(3);
    expect(next).not.toBe(first);
    expect(next.verified).toBe(false);
    expect(events).toEqual(['connect 3', 'connect 5', 'disconnect 3', 'connect 3']);
  });

  it('shares one connect between concurrent callers', async () => {
    const { events, producerFor } = fakeProducers();
    const writers = createPartitionWriters({ producerFor, log: quiet });
    const [a, b] = await Promise.all([writers.writerFor(1), writers.writerFor(1)]);
    expect(a).toBe(b);
    expect(events).toEqual(['connect 1']);
  });

  it('forgets a producer that failed to connect, so the next call makes a new one', async () => {
    const { events, failing, producerFor } = fakeProducers();
    const writers = createPartitionWriters({ producerFor, log: quiet });
    failing.add(2);
    await expect(writers.writerFor(2)).rejects.toThrow('no broker for 2');
    expect(writers.partitions()).toEqual([]);
    await writers.writerFor(2);
    expect(events).toEqual(['connect 2', 'connect 2']);
  });

  it('closes every writer, each once, and takes a failed disconnect as closed', async () => {
    const { events, producerFor } = fakeProducers();
    const writers = createPartitionWriters({
      producerFor: (partition) => ({ ...producerFor(partition), ...(partition === 1 ? { disconnect: () => Promise.reject(new Error('gone')) } : {}) }),
      log: quiet,
    });
    await Promise.all([0, 1, 2].map((partition) => writers.writerFor(partition)));
    await Promise.all([writers.closeAll(), writers.closeAll()]);
    expect(writers.partitions()).toEqual([]);
    expect(events.filter((event) => event.startsWith('disconnect'))).toEqual(['disconnect 0', 'disconnect 2']);
    await writers.close(7);
  });

  it('gives each input partition a transactional id of its own, the same on every replica', () => {
    expect(transactionalIdFor('detectors', 'transactions', 4)).toBe('detectors.transactions.4');
    expect(writerProducerConfig('detectors', 'transactions', 4)).toMatchObject({ transactionalId: 'detectors.transactions.4', idempotent: true, maxInFlightRequests: 1 });
  });
});
