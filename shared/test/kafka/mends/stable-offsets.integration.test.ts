import { describe, expect, it, onTestFinished } from 'vitest';
import { readingStableOffsets, whileOffsetsUnstable, whileTransactionsConcurrent } from '@fraudstream/shared';
import { createTestTopics, joinedGroup, testKafka, uniqueName } from '../../../../test/support/kafka.js';

describe('stable offset reads (OffsetFetch v7 with require_stable)', () => {
  it('refuses to answer while a transaction holds offsets for the partition, then gives the committed ones (real broker)', async () => {
    const kafka = testKafka();
    const topic = uniqueName('stable');
    await createTestTopics(kafka, [{ topic, partitions: 2 }]);
    const groupId = await joinedGroup(kafka, topic);
    const admin = kafka.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    const producer = kafka.producer({ transactionalId: uniqueName('txn'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const offsetsOf = async (read: () => ReturnType<typeof admin.fetchOffsets>) =>
      Object.fromEntries(((await read())[0]?.partitions ?? []).map(({ partition, offset }) => [partition, offset]));
    const plain = () => admin.fetchOffsets({ groupId, topics: [topic] });
    const stable = () => readingStableOffsets(() => admin.fetchOffsets({ groupId, topics: [topic] }));

    const open = await producer.transaction();
    await whileTransactionsConcurrent(() => open.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 1, offset: '5' }] }] }));
    // Pending: a plain read gives the old offsets, a stable one refuses.
    expect(await offsetsOf(plain)).toEqual({ 0: '-1', 1: '-1' });
    await expect(stable()).rejects.toMatchObject({ type: 'UNSTABLE_OFFSET_COMMIT', retriable: true });
    await open.commit();

    // Committed: the stable read answers once the commit's markers are written.
    const offsets = await offsetsOf(() => whileOffsetsUnstable(stable));
    expect(offsets).toEqual({ 0: '-1', 1: '5' });
    // Outside readingStableOffsets nothing changed: kafkajs' own reads are v4.
    expect(await offsetsOf(plain)).toEqual({ 0: '-1', 1: '5' });
  });
});
