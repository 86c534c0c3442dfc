import { whileTransactionsConcurrent, type Message } from '@fraudstream/shared';

export type TopicMessages = Array<{ topic: string; messages: Message[] }>;

/** The slice of a kafkajs transaction a batch's commit uses (a fake in unit tests). */
export interface OutputTransaction {
  sendOffsets(offsets: { consumerGroupId: string; topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }): Promise<void>;
  sendBatch(batch: { topicMessages: TopicMessages; acks: number }): Promise<unknown>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface TransactionalProducer {
  transaction(): Promise<OutputTransaction>;
}

/** The input offset a batch commits: the group's next offset to read on one partition. */
export interface InputOffset {
  groupId: string;
  topic: string;
  partition: number;
  offset: string;
}

export interface CommitClients {
  /** The consumer's own offset commit (OffsetCommit, with the group generation). */
  commitOffsets(offsets: Array<{ topic: string; partition: number; offset: string }>): Promise<void>;
  /** The partition's transactional producer. */
  producer: TransactionalProducer;
}

export type CommitKind = 'offsets' | 'transaction';

/** Well under the broker's default message.max.bytes (1 MiB), which bounds one partition's record batch. */
export const SEND_BYTES = 512 * 1024;

/**
 * The offset a chunk of a batch resolves and the one it commits. Past the last message the batch may
 * end with control records; the last chunk commits past them, so they are not fetched again.
 */
export function chunkOffsets(chunkLastOffset: string, batchLastOffset: string, isLastChunk: boolean): { lastOffset: string; commitOffset: string } {
  const lastOffset = isLastChunk ? batchLastOffset : chunkLastOffset;
  return { lastOffset, commitOffset: String(Number(lastOffset) + 1) };
}

/** Splits the output of a batch into sends small enough for the broker, all in the same Kafka transaction. */
export function* inRequestsOfAtMost(maxBytes: number, topicMessages: TopicMessages): Generator<TopicMessages> {
  let part: TopicMessages = [];
  let bytes = 0;
  for (const { topic, messages } of topicMessages) {
    let current: Message[] = [];
    part.push({ topic, messages: current });
    for (const message of messages) {
      const size = (message.value?.length ?? 0) + 64;
      if (bytes + size > maxBytes && bytes > 0) {
        yield part.filter((entry) => entry.messages.length > 0);
        current = [];
        part = [{ topic, messages: current }];
        bytes = 0;
      }
      current.push(message);
      bytes += size;
    }
  }
  const rest = part.filter((entry) => entry.messages.length > 0);
  if (rest.length > 0) yield rest;
}

/** The batch's output and its input offset in one Kafka transaction of the partition's producer. */
export async function commitTransaction(producer: TransactionalProducer, input: InputOffset, topicMessages: TopicMessages, maxBytes = SEND_BYTES): Promise<void> {
  const transaction = await producer.transaction();
  try {
    // The offsets first: AddOffsetsToTxn opens the transaction at the coordinator, retried while the
    // previous transaction's markers are still being written. After it, the output's
    // AddPartitionsToTxn cannot meet that; both would queue on the one connection to the broker anyway.
    await whileTransactionsConcurrent(() =>
      transaction.sendOffsets({
        consumerGroupId: input.groupId,
        topics: [{ topic: input.topic, partitions: [{ partition: input.partition, offset: input.offset }] }],
      }),
    );
    for (const part of inRequestsOfAtMost(maxBytes, topicMessages)) {
      await transaction.sendBatch({ topicMessages: part, acks: -1 });
    }
    await transaction.commit();
  } catch (err) {
    await transaction.abort().catch(() => {});
    throw err;
  }
}

/**
 * Commits a batch: its output with its offset in one transaction, or, with nothing to write (most
 * batches: no alert, no dead letter, no scored topic), the offset alone as the consumer's own, one
 * request instead of a transaction's five. OffsetCommit carries the group generation, so a replica
 * that lost the partition is refused. It comes after the partition's previous batch committed its
 * transaction; should that transaction's offset land later, the batch is only consumed again, and it
 * writes nothing.
 */
export async function commitBatch(clients: CommitClients, input: InputOffset, topicMessages: TopicMessages): Promise<CommitKind> {
  if (topicMessages.length === 0) {
    await clients.commitOffsets([{ topic: input.topic, partition: input.partition, offset: input.offset }]);
    return 'offsets';
  }
  await commitTransaction(clients.producer, input, topicMessages);
  return 'transaction';
}
