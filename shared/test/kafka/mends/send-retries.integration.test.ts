import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import '../../../src/kafka/client.js';
import { installedKafkajs, isMended } from '../../../src/kafka/mends/internals.js';
import { mendedSendMessages, sendRetriesInternals, type SendMessagesDependencies } from '../../../src/kafka/mends/send-retries.js';

const createSendMessages = mendedSendMessages(sendRetriesInternals(installedKafkajs()));
type SendMessages = typeof createSendMessages;
const require = createRequire(import.meta.url);

/** kafkajs' own sendMessages, loaded afresh beside the mended one the module cache now holds. */
function kafkajsSendMessages(): SendMessages {
  const path = require.resolve('kafkajs/src/producer/sendMessages.js');
  const mended = require.cache[path];
  delete require.cache[path];
  try {
    return require(path) as SendMessages;
  } finally {
    require.cache[path] = mended;
  }
}

interface Produced {
  nodeId: number;
  partitions: number[];
}

/**
 * Two brokers and one topic of two partitions: broker 1 leads partition 0, broker 2 partition 1.
 * Broker 2 dies during the first send; the metadata refresh then names broker 1 leader of both.
 */
function twoBrokerCluster() {
  const produced: Produced[] = [];
  const leaders = new Map([[0, 1], [1, 2]]);
  let brokerTwoDead = false;
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({ topicData }: Record<string, unknown>) {
      const data = topicData as Array<{ topic: string; partitions: Array<{ partition: number }> }>;
      if (nodeId === 2) {
        brokerTwoDead = true;
        throw Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError', retriable: true, host: 'b2', port: 2 });
      }
      produced.push({ nodeId, partitions: data.flatMap(({ partitions }) => partitions.map(({ partition }) => partition)) });
      return {
        topics: data.map(({ topic, partitions }) => ({
          topicName: topic,
          partitions: partitions.map(({ partition }) => ({ partition, errorCode: 0, baseOffset: '0', logAppendTime: '-1', logStartOffset: '0' })),
        })),
      };
    },
  });
  const brokers = new Map([[1, broker(1)], [2, broker(2)]]);
  const sequences = new Map<string, number>();
  const dependencies: SendMessagesDependencies & { cluster: { findLeaderForPartitions: unknown } } = {
    logger: { debug: () => {}, error: () => {} },
    cluster: {
      refreshMetadataIfNecessary: async () => {},
      refreshMetadata: async () => {
        if (brokerTwoDead) leaders.set(1, 1);
      },
      addMultipleTargetTopics: async () => {},
      findTopicPartitionMetadata: () => [...leaders].map(([partitionId, leader]) => ({ partitionId, leader })),
      findBroker: async ({ nodeId }) => brokers.get(Number(nodeId))!,
      // Only kafkajs' own sendMessages asks this.
      findLeaderForPartitions: (_topic: string, partitions: string[]) => {
        const result: Record<number, number[]> = {};
        for (const partition of partitions.map(Number)) (result[leaders.get(partition)!] ??= []).push(partition);
        return result;
      },
      isConnected: () => true,
      connect: async () => {},
      removeBroker: () => {},
    },
    partitioner: ({ message }) => Number(message.key),
    eosManager: {
      acquireBrokerLock: async () => {},
      releaseBrokerLock: async () => {},
      isTransactional: () => false,
      addPartitionsToTransaction: async () => {},
      getSequence: (topic, partition) => sequences.get(`${topic}/${partition}`) ?? 0,
      updateSequence: (topic, partition, increment) => sequences.set(`${topic}/${partition}`, (sequences.get(`${topic}/${partition}`) ?? 0) + increment),
      getTransactionalId: () => '',
      getProducerId: () => 1,
      getProducerEpoch: () => 0,
    },
    // kafkajs' retrier: the attempt again after a retriable error, at most five times.
    retrier: async (attempt) => {
      let bailed: Error | undefined;
      for (let retryCount = 0; ; retryCount++) {
        try {
          const result = await attempt((err) => (bailed = err), retryCount, 0);
          if (bailed) throw bailed;
          return result;
        } catch (err) {
          if (retryCount >= 5 || bailed) throw err;
        }
      }
    },
  };
  return { dependencies, produced, sequences };
}

const send = { acks: -1, timeout: 30_000, compression: 0, topicMessages: [{ topic: 'transactions', messages: [{ key: '0', value: 'a' }, { key: '1', value: 'b' }] }] };

describe('kafkajs producer retries after a leader dies', () => {
  it('sends the dead leader’s partitions to their new leader, even one that had already answered', async () => {
    const { dependencies, produced, sequences } = twoBrokerCluster();
    const responses = await createSendMessages(dependencies)(send);
    expect(produced).toEqual([{ nodeId: 1, partitions: [0] }, { nodeId: 1, partitions: [1] }]);
    expect(responses.map(({ partition }) => partition).sort()).toEqual([0, 1]);
    // Each partition's sequence moved once, by its one message (the failed attempt's was taken back).
    expect(Object.fromEntries(sequences)).toEqual({ 'transactions/0': 1, 'transactions/1': 1 });
  });

  it('is what kafkajs 2.2.4 gets wrong: it resolves without ever sending partition 1', async () => {
    const { dependencies, produced } = twoBrokerCluster();
    const responses = await kafkajsSendMessages()(dependencies)(send);
    expect(produced).toEqual([{ nodeId: 1, partitions: [0] }]);
    expect(responses.map(({ partition }) => partition)).toEqual([0]);
  });

  it('is the sendMessages kafkajs producers use', () => {
    expect(isMended(require.cache[require.resolve('kafkajs/src/producer/sendMessages.js')]?.exports, 'sendRetries')).toBe(true);
  });
});
