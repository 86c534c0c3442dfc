import { setTimeout as sleep } from 'node:timers/promises';
import { FraudstreamError } from '@fraudstream/shared';
import type { EndOffsets } from './event-time-gate.js';

/** The slice of the kafkajs admin client the end-offset read uses. */
export interface EndOffsetsAdmin {
  fetchTopicMetadata(options: { topics: string[] }): Promise<{ topics: Array<{ partitions: readonly unknown[] }> }>;
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; offset: string }>>;
}

/**
 * End offsets for the event-time gate, for every partition each topic has had. kafkajs answers for the
 * partitions its metadata lists, and while leaders move that can be fewer than the topic has: the gate
 * would take a partition it was not told about for one it has caught up with, and score transactions
 * before their labels. So an answer for fewer partitions than seen before is asked again.
 */
export function createEndOffsets(admin: EndOffsetsAdmin, { attempts = 50, retryMs = 100 } = {}): EndOffsets {
  const partitionCounts = new Map<string, number>();
  return async (topic) => {
    if (!partitionCounts.has(topic)) {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      partitionCounts.set(topic, metadata.topics[0]?.partitions.length ?? 0);
    }
    const expected = partitionCounts.get(topic) ?? 0;
    for (let attempt = 1; ; attempt++) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const ends = new Map(offsets.map(({ partition, offset }) => [partition, Number(offset)]));
      if (ends.size >= expected) {
        partitionCounts.set(topic, ends.size);
        return ends;
      }
      if (attempt >= attempts) {
        throw new FraudstreamError('KAFKA_UNAVAILABLE', `end offsets of ${topic} came for ${ends.size} of its ${expected} partitions (leaders moving?)`);
      }
      await sleep(retryMs);
    }
  };
}
