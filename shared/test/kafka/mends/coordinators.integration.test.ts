import { createRequire } from 'node:module';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { whileTransactionsConcurrent } from '@fraudstream/shared';
import { COORDINATOR_TTL_MS, rememberCoordinators } from '../../../src/kafka/mends/coordinators.js';
import { createTestTopics, joinedGroup, testKafka, uniqueName } from '../../../../test/support/kafka.js';

const Broker = createRequire(import.meta.url)('kafkajs/src/broker/index.js') as {
  prototype: { findGroupCoordinator(query: { groupId: string; coordinatorType?: number }): Promise<unknown> };
};

describe('coordinator lookups (kafkajs mended)', () => {
  it('answers a repeated lookup from memory until the time to live is over, per type and id', async () => {
    let clock = 0;
    const asked: string[] = [];
    const lookup = rememberCoordinators(
      ({ groupId, coordinatorType }) => {
        asked.push(`${coordinatorType ?? 0}:${groupId}`);
        return Promise.resolve({ nodeId: asked.length });
      },
      1_000,
      () => clock,
    );
    // Two at once share one request.
    const [first, again] = await Promise.all([lookup({ groupId: 'g' }), lookup({ groupId: 'g' })]);
    expect(again).toBe(first);
    await lookup({ groupId: 'g', coordinatorType: 1 });
    clock = 999;
    await lookup({ groupId: 'g' });
    expect(asked).toEqual(['0:g', '1:g']);
    clock = 1_000;
    expect(await lookup({ groupId: 'g' })).toEqual({ nodeId: 3 });
    expect(asked).toEqual(['0:g', '1:g', '0:g']);
  });

  it('never remembers a failed lookup', async () => {
    let calls = 0;
    const lookup = rememberCoordinators(() => (++calls === 1 ? Promise.reject(new Error('not available')) : Promise.resolve('broker')));
    await expect(lookup({ groupId: 'g' })).rejects.toThrow('not available');
    expect(await lookup({ groupId: 'g' })).toBe('broker');
    expect(calls).toBe(2);
  });

  it('lets a transactional producer commit transactions with offsets without a lookup per request (real broker)', async () => {
    const kafka = testKafka();
    const topic = uniqueName('coordinators');
    await createTestTopics(kafka, [{ topic, partitions: 1 }]);
    const transactionalId = uniqueName('txn');
    const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
    const requests: string[] = [];
    producer.on(producer.events.REQUEST, ({ payload }) => requests.push(payload.apiName));
    // Lookups go through whichever broker connection is at hand, not all of them instrumented: count
    // them where kafkajs sends them.
    const lookups = vi.spyOn(Broker.prototype, 'findGroupCoordinator');
    onTestFinished(() => lookups.mockRestore());
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    // A group that exists, as the detector's does while it commits offsets.
    const groupId = await joinedGroup(kafka, topic);
    // Transactions with output only (AddPartitionsToTxn, Produce, EndTxn) and with offsets only
    // (AddOffsetsToTxn, TxnOffsetCommit, EndTxn), alternately: kafkajs alone looks a coordinator up
    // before each of those requests but Produce, 2 + 3 times per pair (25 here).
    const pairs = 5;
    const startedAt = Date.now();
    for (let index = 1; index <= pairs; index++) {
      const output = await producer.transaction();
      await output.send({ topic, messages: [{ value: `m${index}` }] });
      await output.commit();
      const offsets = await producer.transaction();
      await whileTransactionsConcurrent(() =>
        offsets.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: String(index) }] }] }),
      );
      await offsets.commit();
    }
    const count = (name: string) => requests.filter((apiName) => apiName === name).length;
    expect(count('EndTxn')).toBe(2 * pairs);
    expect(count('TxnOffsetCommit')).toBe(pairs);
    const elapsedMs = Date.now() - startedAt;
    // Remembered: the transaction coordinator is looked up once per time to live at most (kafkajs alone:
    // before each AddPartitionsToTxn, AddOffsetsToTxn and EndTxn, 4 per pair). Counted against the time
    // the loop took, so a slow machine, which lets the answer expire more often, does not fail it. (The
    // group's lookups are not counted: the group's own consumer makes some as well.)
    const transactionLookups = lookups.mock.calls.filter(([query]) => query.groupId === transactionalId).length;
    expect(transactionLookups).toBeGreaterThanOrEqual(1);
    expect(transactionLookups).toBeLessThanOrEqual(1 + Math.ceil(elapsedMs / COORDINATOR_TTL_MS));
    expect(lookups.mock.calls.some(([query]) => query.groupId === groupId)).toBe(true);

    // The offsets were committed to the group's coordinator.
    const admin = kafka.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed?.partitions[0]?.offset).toBe(String(pairs));
  });
});
