import { describe, expect, it } from 'vitest';
import { committedOffset, positionAfterHandover, type OffsetsAdmin } from '../src/stable-offsets.js';

const unstable = () => Object.assign(new Error('The broker has pending offset commits'), { type: 'UNSTABLE_OFFSET_COMMIT' });

/** An admin answering with `partitions` after refusing `refusals` times as a broker does while a transaction's offsets are pending. */
function fakeAdmin(partitions: Array<{ partition: number; offset: string }>, refusals = 0): OffsetsAdmin & { asked: unknown[] } {
  const asked: unknown[] = [];
  let refused = 0;
  return {
    asked,
    fetchOffsets(options) {
      asked.push(options);
      if (refused++ < refusals) return Promise.reject(unstable());
      return Promise.resolve([{ topic: 'transactions', partitions }]);
    },
  };
}

describe('committedOffset', () => {
  it("reads the group's committed offset of the partition, asking again while it is unstable", async () => {
    const admin = fakeAdmin([{ partition: 0, offset: '12' }, { partition: 1, offset: '40' }], 2);
    expect(await committedOffset(admin, 'group', 'transactions', 1)).toBe(40);
    expect(admin.asked).toEqual(Array(3).fill({ groupId: 'group', topics: ['transactions'] }));
  });

  it('is undefined for a partition the group has not committed', async () => {
    const admin = fakeAdmin([{ partition: 0, offset: '-1' }]);
    expect(await committedOffset(admin, 'group', 'transactions', 0)).toBeUndefined();
    expect(await committedOffset(admin, 'group', 'transactions', 5)).toBeUndefined();
  });
});

describe('positionAfterHandover', () => {
  it('moves forward to the committed offset, never back', () => {
    expect(positionAfterHandover(120, '100')).toBe(120);
    expect(positionAfterHandover(100, '100')).toBeUndefined();
    // Transaction markers between the committed offset and the batch: the batch starts later.
    expect(positionAfterHandover(98, '100')).toBeUndefined();
    expect(positionAfterHandover(undefined, '100')).toBeUndefined();
  });
});
