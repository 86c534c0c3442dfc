/**
 * Mends kafkajs 2.2.4's producer retries before kafkajs loads (install.ts applies it).
 *
 * A send covers several partitions, with one produce request per leader broker. When one of them fails
 * (its broker died), kafkajs refreshes the metadata and tries again, but only for the brokers that have
 * not answered yet: the partitions of the dead broker that moved to a broker which had answered for its
 * own partitions are never sent, and the send resolves as if they had been. In the 3-broker fault test,
 * one SIGKILLed leader lost 10–112 transactions this way, about one run in two, with the producer
 * reporting every one sent and no retry of its own (the detector's features then drifted for their cards
 * and terminals). kafkajs is unmaintained, so the fix lives here: a retry sends every partition not yet
 * acknowledged, to whichever broker leads it now. Each message keeps the partition it was given on the
 * first attempt, so a keyless one cannot be written to a second partition after its first was
 * acknowledged.
 */
import { expectFunction, internalModule, member, prepareModuleSwap, type KafkajsModules } from './internals.js';

interface ProducedMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
}
interface TopicMessages {
  topic: string;
  messages: ProducedMessage[];
}
/** A partition's entry in a produce response (kafkajs' RecordMetadata). */
interface PartitionResponse {
  topicName: string;
  partition: number;
  [field: string]: unknown;
}
interface BrokerLike {
  nodeId: number;
  produce(request: Record<string, unknown>): Promise<unknown>;
}
interface ClusterLike {
  refreshMetadataIfNecessary(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): Array<{ partitionId: number; leader: number | null }>;
  findBroker(options: { nodeId: string }): Promise<BrokerLike>;
  isConnected(): boolean;
  connect(): Promise<void>;
  removeBroker(options: { host: string; port: number }): void;
}
interface EosManagerLike {
  acquireBrokerLock(broker: BrokerLike): Promise<void>;
  releaseBrokerLock(broker: BrokerLike): Promise<void>;
  isTransactional(): boolean;
  addPartitionsToTransaction(topicData: TopicData): Promise<void>;
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
  getTransactionalId(): string;
  getProducerId(): number;
  getProducerEpoch(): number;
}
type TopicData = Array<{ topic: string; partitions: Array<{ partition: number; messages: ProducedMessage[]; firstSequence?: number }> }>;
interface LoggerLike {
  debug(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
}
type Bail = (err: Error) => void;
type Retrier = <T>(attempt: (bail: Bail, retryCount: number, retryTime: number) => Promise<T>) => Promise<T>;
type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: ProducedMessage }) => number;

export interface SendMessagesDependencies {
  logger: LoggerLike;
  cluster: ClusterLike;
  partitioner: Partitioner;
  eosManager: EosManagerLike;
  retrier: Retrier;
}

interface KafkaJsError extends Error {
  retriable?: boolean;
  host?: string;
  port?: number;
}

/** What the mended `sendMessages` uses of kafkajs itself. */
export interface SendRetriesInternals {
  KafkaJSMetadataNotLoaded: new (message: string, extra?: object) => Error;
  staleMetadata: (err: unknown) => boolean;
  responseSerializer: (response: unknown) => PartitionResponse[];
}

const ERRORS = 'src/errors.js';
const PROTOCOL_ERRORS = 'src/protocol/error.js';
const RESPONSE_SERIALIZER = 'src/producer/responseSerializer.js';

/** kafkajs' internals the mended `sendMessages` uses, checked. */
export function sendRetriesInternals(modules: KafkajsModules): SendRetriesInternals {
  return {
    KafkaJSMetadataNotLoaded: expectFunction(member(internalModule(modules, ERRORS), 'KafkaJSMetadataNotLoaded'), `${ERRORS} KafkaJSMetadataNotLoaded`),
    staleMetadata: expectFunction(member(internalModule(modules, PROTOCOL_ERRORS), 'staleMetadata'), `${PROTOCOL_ERRORS} staleMetadata`),
    responseSerializer: expectFunction(internalModule(modules, RESPONSE_SERIALIZER), RESPONSE_SERIALIZER),
  };
}

/** kafkajs' `createSendMessages` with retries that cover every partition not yet acknowledged. */
export function mendedSendMessages({ KafkaJSMetadataNotLoaded, staleMetadata, responseSerializer }: SendRetriesInternals) {
  return ({ logger, cluster, partitioner, eosManager, retrier }: SendMessagesDependencies) =>
    async ({ acks, timeout, compression, topicMessages }: { acks: number; timeout: number; compression: number; topicMessages: TopicMessages[] }): Promise<PartitionResponse[]> => {
      /** topic → partition → its messages, fixed at the first attempt with metadata. */
      const assigned = new Map<string, Map<number, ProducedMessage[]>>();
      /** "topic\0partition" → the broker's answer, once acknowledged. */
      const acknowledged = new Map<string, PartitionResponse>();
      const slot = (topic: string, partition: number): string => `${topic}\0${partition}`;

      const assign = (topic: string, messages: ProducedMessage[]): Map<number, ProducedMessage[]> => {
        const partitionMetadata = cluster.findTopicPartitionMetadata(topic);
        if (partitionMetadata.length === 0) throw new KafkaJSMetadataNotLoaded('Producing to topic without metadata', { topic });
        const perPartition = new Map<number, ProducedMessage[]>();
        for (const message of messages) {
          const partition = partitioner({ topic, partitionMetadata, message });
          perPartition.set(partition, [...(perPartition.get(partition) ?? []), message]);
        }
        return perPartition;
      };

      const sendToLeaders = async (): Promise<void> => {
        await cluster.refreshMetadataIfNecessary();
        const perLeader = new Map<number, TopicData>();
        for (const { topic, messages } of topicMessages) {
          let perPartition = assigned.get(topic);
          if (perPartition === undefined) assigned.set(topic, (perPartition = assign(topic, messages)));
          const metadata = cluster.findTopicPartitionMetadata(topic);
          for (const [partition, partitionMessages] of perPartition) {
            if (acknowledged.has(slot(topic, partition))) continue;
            const leader = metadata.find((entry) => entry.partitionId === partition)?.leader;
            // kafkajs would skip a partition missing from the metadata: here it is retried until it has a leader.
            if (leader === null || leader === undefined) throw new KafkaJSMetadataNotLoaded('No leader known for a partition', { topic, partition });
            const topicData = perLeader.get(leader) ?? [];
            perLeader.set(leader, topicData);
            let entry = topicData.find((data) => data.topic === topic);
            if (entry === undefined) topicData.push((entry = { topic, partitions: [] }));
            entry.partitions.push({ partition, messages: partitionMessages });
          }
        }
        const requests = [...perLeader].map(async ([nodeId, topicData]) => {
          const broker = await cluster.findBroker({ nodeId: String(nodeId) });
          await eosManager.acquireBrokerLock(broker);
          try {
            if (eosManager.isTransactional()) await eosManager.addPartitionsToTransaction(topicData);
            for (const { topic, partitions } of topicData) {
              for (const entry of partitions) {
                entry.firstSequence = eosManager.getSequence(topic, entry.partition);
                eosManager.updateSequence(topic, entry.partition, entry.messages.length);
              }
            }
            let response: unknown;
            try {
              response = await broker.produce({
                transactionalId: eosManager.isTransactional() ? eosManager.getTransactionalId() : undefined,
                producerId: eosManager.getProducerId(),
                producerEpoch: eosManager.getProducerEpoch(),
                acks,
                timeout,
                compression,
                topicData,
              });
            } catch (err) {
              for (const { topic, partitions } of topicData) {
                for (const entry of partitions) eosManager.updateSequence(topic, entry.partition, -entry.messages.length);
              }
              throw err;
            }
            if (acks === 0) {
              for (const { topic, partitions } of topicData) {
                for (const { partition } of partitions) acknowledged.set(slot(topic, partition), { topicName: topic, partition });
              }
            } else {
              for (const answer of responseSerializer(response)) acknowledged.set(slot(answer.topicName, answer.partition), answer);
            }
          } finally {
            await eosManager.releaseBrokerLock(broker);
          }
        });
        await Promise.all(requests);
      };

      return retrier(async (bail, retryCount, retryTime) => {
        await cluster.addMultipleTargetTopics(topicMessages.map(({ topic }) => topic));
        try {
          await sendToLeaders();
          // acks=0 has no answers to give back, as in kafkajs.
          return acks === 0 ? [] : [...acknowledged.values()];
        } catch (caught) {
          const err = caught as KafkaJsError;
          if (err.name === 'KafkaJSConnectionClosedError' && err.host !== undefined && err.port !== undefined) {
            cluster.removeBroker({ host: err.host, port: err.port });
          }
          if (!cluster.isConnected()) {
            logger.debug(`Cluster has disconnected, reconnecting: ${err.message}`, { retryCount, retryTime });
            await cluster.connect();
            await cluster.refreshMetadata();
            throw err;
          }
          if (
            staleMetadata(err) ||
            err.name === 'KafkaJSMetadataNotLoaded' ||
            err.name === 'KafkaJSConnectionError' ||
            err.name === 'KafkaJSConnectionClosedError' ||
            (err.name === 'KafkaJSProtocolError' && err.retriable === true)
          ) {
            logger.error(`Failed to send messages: ${err.message}`, { retryCount, retryTime });
            await cluster.refreshMetadata();
            throw err;
          }
          logger.error(err.message, { retryCount, retryTime });
          if (err.retriable === true) throw err;
          bail(err);
          return [];
        }
      });
    };
}

/** Checks kafkajs' internals for this mend and returns the step that applies it. */
export function prepareSendRetries(modules: KafkajsModules): () => void {
  return prepareModuleSwap(modules, {
    mend: 'sendRetries',
    title: 'producer-retry',
    path: 'src/producer/sendMessages.js',
    requiredBy: 'src/producer/messageProducer.js',
    replacement: () => mendedSendMessages(sendRetriesInternals(modules)),
  });
}
