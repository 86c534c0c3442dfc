import { SECOND_MS, type Logger } from '@fraudstream/shared';
import type { TransactionalProducer } from './commit.js';

/** The slice of a kafkajs producer a partition writer uses (a fake in unit tests). */
export interface PartitionProducer extends TransactionalProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

export interface PartitionWriter {
  producer: PartitionProducer;
  ready: Promise<void>;
  /** Whether the consumer position was checked against the committed offset since this producer fenced its predecessors. */
  verified: boolean;
}

/** One transactional producer per assigned input partition, made on first use and closed on a rebalance or a failure. */
export interface PartitionWriters {
  /** The partition's writer, connected (a new one when there is none, or when the last failed to connect). */
  writerFor(partition: number): Promise<PartitionWriter>;
  close(partition: number): Promise<void>;
  closeAll(): Promise<void>;
  partitions(): number[];
}

/** The transactional id that owns one input partition: whichever replica serves it next fences the last. */
export const transactionalIdFor = (groupId: string, topic: string, partition: number): string =>
  `${groupId}.${topic}.${partition}`;

/** The producer settings of the writer of one input partition. */
export const writerProducerConfig = (groupId: string, topic: string, partition: number) => ({
  transactionalId: transactionalIdFor(groupId, topic, partition),
  idempotent: true,
  maxInFlightRequests: 1,
  // A transaction that starts right after the previous commit often meets CONCURRENT_TRANSACTIONS
  // while the broker still writes the commit markers: retry that quickly, not after 100 ms.
  retry: { initialRetryTime: 10, maxRetryTime: SECOND_MS, retries: 30 },
});

export function createPartitionWriters({ producerFor, log }: { producerFor: (partition: number) => PartitionProducer; log: Logger }): PartitionWriters {
  const writers = new Map<number, PartitionWriter>();

  const close = async (partition: number): Promise<void> => {
    const writer = writers.get(partition);
    if (!writer) return;
    writers.delete(partition);
    await writer.producer.disconnect().catch((err: unknown) => log.warn({ err, partition }, 'producer disconnect failed'));
  };

  return {
    async writerFor(partition) {
      let writer = writers.get(partition);
      if (!writer) {
        const producer = producerFor(partition);
        // connect() initialises the transactional id: the broker bumps its epoch, aborts (or finishes) the
        // previous owner's open transaction, and fences that producer from then on.
        writer = { producer, ready: producer.connect(), verified: false };
        writers.set(partition, writer);
      }
      try {
        await writer.ready;
      } catch (err) {
        writers.delete(partition);
        throw err;
      }
      return writer;
    },
    close,
    closeAll: async () => void (await Promise.all([...writers.keys()].map(close))),
    partitions: () => [...writers.keys()],
  };
}
