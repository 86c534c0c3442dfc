import { describe, expect, it } from 'vitest';
import { isFraudstreamError } from '@fraudstream/shared';
import { createEndOffsets, type EndOffsetsAdmin } from '../src/end-offsets.js';

/** An admin whose metadata lists `partitions` partitions and whose offset answers come from `answers`, one per call (the last repeats). */
function fakeAdmin(partitions: number, answers: number[][]): EndOffsetsAdmin & { offsetCalls: () => number } {
  let calls = 0;
  return {
    offsetCalls: () => calls,
    fetchTopicMetadata: () => Promise.resolve({ topics: [{ partitions: Array.from({ length: partitions }, (_, partition) => ({ partition })) }] }),
    fetchTopicOffsets: () => {
      const ends = answers[Math.min(calls++, answers.length - 1)] ?? [];
      return Promise.resolve(ends.map((offset, partition) => ({ partition, offset: String(offset) })));
    },
  };
}

describe('end offsets', () => {
  it('gives every partition its end offset', async () => {
    const endOffsets = createEndOffsets(fakeAdmin(3, [[5, 0, 9]]));
    expect(await endOffsets('transactions')).toEqual(new Map([[0, 5], [1, 0], [2, 9]]));
  });

  it('asks again while the answer lists fewer partitions than the topic has', async () => {
    const admin = fakeAdmin(3, [[5], [5, 6], [5, 6, 7]]);
    const endOffsets = createEndOffsets(admin, { retryMs: 1 });
    expect(await endOffsets('transactions')).toEqual(new Map([[0, 5], [1, 6], [2, 7]]));
    expect(admin.offsetCalls()).toBe(3);
  });

  it('gives up with KAFKA_UNAVAILABLE after its attempts', async () => {
    const endOffsets = createEndOffsets(fakeAdmin(2, [[1]]), { attempts: 3, retryMs: 1 });
    const err: unknown = await endOffsets('labels').catch((caught: unknown) => caught);
    expect(isFraudstreamError(err, 'KAFKA_UNAVAILABLE')).toBe(true);
  });
});
