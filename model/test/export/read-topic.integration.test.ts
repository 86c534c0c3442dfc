import { describe, expect, it, onTestFinished } from 'vitest';
import type { KafkaMessage } from '@fraudstream/shared';
import { messagesIn, rangesSince, readRanges } from '../../src/export/read-topic.js';
import { createTestTopics, testKafka, testLog, uniqueName } from '../../../test/support/kafka.js';

const day = 86_400_000;

describe('reading a topic from a point in time (real broker)', () => {
  it('reads exactly the committed messages since the timestamp, up to the end as it was', async () => {
    const kafka = testKafka();
    const topic = uniqueName('export-read');
    await createTestTopics(kafka, [{ topic, partitions: 3 }]);
    const now = Date.now();

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const message = (name: string, ageDays: number, partition: number) => ({
      key: name,
      value: name,
      partition,
      timestamp: String(now - ageDays * day),
    });
    await producer.send({
      topic,
      messages: [message('old-0', 40, 0), message('old-1', 35, 1), message('new-0', 20, 0), message('new-1', 1, 1), message('new-0b', 0, 0)],
    });

    // A committed and an aborted transaction: the aborted message must not be read, and the
    // transaction markers they leave at the end of partition 2 must not stall the reader.
    const transactional = kafka.producer({ transactionalId: uniqueName('export-tx'), idempotent: true, maxInFlightRequests: 1 });
    await transactional.connect();
    onTestFinished(() => transactional.disconnect());
    const committed = await transactional.transaction();
    await committed.send({ topic, messages: [message('tx-committed', 2, 2)] });
    await committed.commit();
    const aborted = await transactional.transaction();
    await aborted.send({ topic, messages: [message('tx-aborted', 2, 2)] });
    await aborted.abort();

    const ranges = await rangesSince(kafka, topic, now - 30 * day);
    expect(ranges.map((range) => [range.partition, range.start])).toEqual([
      [0, '1'],
      [1, '1'],
      [2, '0'],
    ]);
    // Sent after the ranges were taken: outside the export.
    await producer.send({ topic, messages: [message('late', 0, 1)] });

    const groupId = uniqueName('export-group');
    const read: Array<[number, string]> = [];
    const progress: bigint[] = [];
    const summary = await readRanges({
      kafka,
      topic,
      ranges,
      log: testLog,
      onMessage: (received: KafkaMessage, partition) => read.push([partition, received.value?.toString() ?? '']),
      onProgress: (consumed) => progress.push(consumed),
      groupId,
    });

    expect(read.sort()).toEqual([
      [0, 'new-0'],
      [0, 'new-0b'],
      [1, 'new-1'],
      [2, 'tx-committed'],
    ]);
    expect(summary).toEqual({ messages: 4, incomplete: [] });
    expect(progress.at(-1)).toBe(messagesIn(ranges));

    const admin = kafka.admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    const groups = (await admin.listGroups()).groups.map((group) => group.groupId);
    expect(groups).not.toContain(groupId);
  });

  it('reads nothing, and joins no group, when nothing is recent enough', async () => {
    const kafka = testKafka();
    const topic = uniqueName('export-empty');
    await createTestTopics(kafka, [{ topic, partitions: 2 }]);
    const producer = kafka.producer();
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    await producer.send({ topic, messages: [{ value: 'old', partition: 0, timestamp: String(Date.now() - 60 * day) }] });

    const ranges = await rangesSince(kafka, topic, Date.now() - 30 * day);
    expect(messagesIn(ranges)).toBe(0n);
    const summary = await readRanges({ kafka, topic, ranges, log: testLog, onMessage: () => expect.unreachable() });
    expect(summary.messages).toBe(0);
  });

  it('fails, instead of exporting part of the topic, when its consumer crashes for good', async () => {
    const kafka = testKafka();
    const topic = uniqueName('export-crash');
    await createTestTopics(kafka, [{ topic, partitions: 1 }]);
    const producer = kafka.producer();
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
    const ranges = await rangesSince(kafka, topic, 0);
    const failure = Object.assign(new Error('the reader broke'), { retriable: false });
    await expect(
      readRanges({
        kafka,
        topic,
        ranges,
        log: testLog,
        onMessage: () => {
          throw failure;
        },
      }),
    ).rejects.toThrow(/nothing was exported/);
  });
});
