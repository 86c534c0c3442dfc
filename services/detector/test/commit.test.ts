import { describe, expect, it } from 'vitest';
import { chunkOffsets, commitBatch, commitTransaction, inRequestsOfAtMost, type OutputTransaction, type TopicMessages } from '../src/commit.js';

const message = (n: number) => ({ key: null, value: Buffer.alloc(100, n) });
const input = { groupId: 'group', topic: 'transactions', partition: 4, offset: '101' };

/** A producer whose transactions record what they were asked, in order; `failOn` makes that call throw. */
function fakeProducer(failOn?: 'sendOffsets' | 'sendBatch' | 'commit') {
  const calls: string[] = [];
  const call = (name: string, detail = ''): Promise<void> => {
    calls.push(detail ? `${name} ${detail}` : name);
    return name === failOn ? Promise.reject(new Error(`${name} failed`)) : Promise.resolve();
  };
  const transaction: OutputTransaction = {
    sendOffsets: (offsets) =>
      call('sendOffsets', `${offsets.consumerGroupId} ${offsets.topics.map(({ topic, partitions }) => `${topic}[${partitions.map((p) => `${p.partition}@${p.offset}`).join()}]`).join()}`),
    sendBatch: (batch) => call('sendBatch', `acks=${batch.acks} ${batch.topicMessages.map(({ topic, messages }) => `${topic}:${messages.length}`).join()}`),
    commit: () => call('commit'),
    abort: () => call('abort'),
  };
  return { calls, producer: { transaction: () => Promise.resolve(transaction) } };
}

describe('inRequestsOfAtMost', () => {
  it('splits the output into sends under the byte limit, keeping the order within each topic', () => {
    const parts = [
      ...inRequestsOfAtMost(500, [
        { topic: 'a', messages: [0, 1, 2, 3, 4].map(message) },
        { topic: 'b', messages: [5, 6].map(message) },
      ]),
    ];
    expect(parts.map((part) => part.map(({ topic, messages }) => `${topic}:${messages.map((m) => (m.value as Buffer)[0]).join('')}`))).toEqual([
      ['a:012'],
      ['a:34', 'b:5'],
      ['b:6'],
    ]);
  });

  it('sends a message larger than the limit on its own', () => {
    const parts = [...inRequestsOfAtMost(50, [{ topic: 'a', messages: [0, 1].map(message) }])];
    expect(parts.map((part) => part.map(({ messages }) => messages.length))).toEqual([[1], [1]]);
  });
});

describe('chunkOffsets', () => {
  it('commits the offset after the chunk, or after the batch for its last chunk (past trailing control records)', () => {
    expect(chunkOffsets('41', '45', false)).toEqual({ lastOffset: '41', commitOffset: '42' });
    expect(chunkOffsets('41', '45', true)).toEqual({ lastOffset: '45', commitOffset: '46' });
  });
});

describe('commitBatch', () => {
  it('commits a batch with nothing to write as the consumer offset alone, without a transaction', async () => {
    const { calls, producer } = fakeProducer();
    const committed: unknown[] = [];
    const kind = await commitBatch({ commitOffsets: (offsets) => Promise.resolve(void committed.push(...offsets)), producer }, input, []);
    expect(kind).toBe('offsets');
    expect(committed).toEqual([{ topic: 'transactions', partition: 4, offset: '101' }]);
    expect(calls).toEqual([]);
  });

  it('sends the offset first, then the output, then commits, all in one transaction', async () => {
    const { calls, producer } = fakeProducer();
    const output: TopicMessages = [{ topic: 'alerts', messages: [message(1)] }, { topic: 'dlq', messages: [message(2), message(3)] }];
    const kind = await commitBatch({ commitOffsets: () => Promise.reject(new Error('not expected')), producer }, input, output);
    expect(kind).toBe('transaction');
    expect(calls).toEqual(['sendOffsets group transactions[4@101]', 'sendBatch acks=-1 alerts:1,dlq:2', 'commit']);
  });
});

describe('commitTransaction', () => {
  it('splits a large output into several sends of the same transaction', async () => {
    const { calls, producer } = fakeProducer();
    await commitTransaction(producer, input, [{ topic: 'scored', messages: [0, 1, 2].map(message) }], 350);
    expect(calls).toEqual(['sendOffsets group transactions[4@101]', 'sendBatch acks=-1 scored:2', 'sendBatch acks=-1 scored:1', 'commit']);
  });

  it.each(['sendOffsets', 'sendBatch', 'commit'] as const)('aborts the transaction and rethrows when %s fails', async (failOn) => {
    const { calls, producer } = fakeProducer(failOn);
    await expect(commitTransaction(producer, input, [{ topic: 'alerts', messages: [message(1)] }])).rejects.toThrow(`${failOn} failed`);
    expect(calls.at(-1)).toBe('abort');
  });
});
