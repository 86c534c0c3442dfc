import { readingStableOffsets, whileOffsetsUnstable } from '@fraudstream/shared';

/** The slice of the kafkajs admin client the committed-offset read uses. */
export interface OffsetsAdmin {
  fetchOffsets(options: { groupId: string; topics: string[] }): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
}

/**
 * The group's committed offset for the partition, read stable (KIP-447's require_stable): while a
 * transaction's offsets for it are pending, the broker refuses and the read is made again.
 */
export async function committedOffset(admin: OffsetsAdmin, groupId: string, topic: string, partition: number): Promise<number | undefined> {
  const [topicOffsets] = await whileOffsetsUnstable(() => readingStableOffsets(() => admin.fetchOffsets({ groupId, topics: [topic] })));
  const entry = topicOffsets?.partitions.find((candidate) => candidate.partition === partition);
  const offset = Number(entry?.offset ?? -1);
  return offset >= 0 ? offset : undefined;
}

/**
 * Where a partition's consumer must go on from once its new producer has fenced the previous owner:
 * the committed offset when the previous owner committed past this consumer's position when it
 * fetched, otherwise nowhere else (undefined). Never back: a batch may start after the committed
 * offset when what lies between holds no messages (transaction markers, aborted or compacted records).
 */
export function positionAfterHandover(committed: number | undefined, fetchedFirstOffset: string | null): number | undefined {
  return committed !== undefined && committed > Number(fetchedFirstOffset) ? committed : undefined;
}
