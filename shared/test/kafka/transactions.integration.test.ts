import { describe, expect, it, onTestFinished } from 'vitest';
import { whileTransactionsConcurrent } from '@fraudstream/shared';
import { createTestTopics, joinedGroup, testKafka, uniqueName } from '../../../test/support/kafka.js';

const concurrent = () => Object.assign(new Error('The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing'), { type: 'CONCURRENT_TRANSACTIONS' });

describe('whileTransactionsConcurrent', () => {
  it('retries CONCURRENT_TRANSACTIONS until the request goes through', async () => {
    let calls = 0;
    const result = await whileTransactionsConcurrent(() => (++calls < 4 ? Promise.reject(concurrent()) : Promise.resolve('opened')), 1);
    expect(result).toBe('opened');
    expect(calls).toBe(4);
  });

  it('throws any other error at once, and CONCURRENT_TRANSACTIONS once its time is up', async () => {
    let calls = 0;
    const fenced = Object.assign(new Error('fenced'), { type: 'INVALID_PRODUCER_EPOCH' });
    await expect(whileTransactionsConcurrent(() => (++calls, Promise.reject(fenced)), 1)).rejects.toBe(fenced);
    expect(calls).toBe(1);
    await expect(whileTransactionsConcurrent(() => Promise.reject(concurrent()), 1, 20)).rejects.toMatchObject({ type: 'CONCURRENT_TRANSACTIONS' });
  });

  it('lets back-to-back transactions that only commit offsets begin right after the previous commit (real broker)', async () => {
    const kafka = testKafka();
    const topic = uniqueName('offsets-only');
    await createTestTopics(kafka, [{ topic, partitions: 1 }]);
    const producer = kafka.producer({ transactionalId: uniqueName('txn'), idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const groupId = await joinedGroup(kafka, topic);
    const total = 40;
    for (let index = 1; index <= total; index++) {
      const transaction = await producer.transaction();
      await whileTransactionsConcurrent(() =>
        transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: String(index) }] }] }),
      );
      await transaction.commit();
    }
    const admin = kafka.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets?.partitions[0]?.offset).toBe(String(total));
  });
});
