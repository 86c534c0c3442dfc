import { describe, expect, it } from 'vitest';
import { createEventTimeGate } from '../src/event-time-gate.js';
import type { TopicProgress } from '../src/progress.js';

const DAY = 86_400_000;

function setup(init: { labels: TopicProgress; transactions: TopicProgress; ends: { labels: number[]; transactions: number[] } }) {
  let clock = 1_000;
  let probes = 0;
  const gate = createEventTimeGate({
    labelsTopic: 'labels',
    transactionsTopic: 'tx',
    labelProgress: () => init.labels,
    transactionProgress: () => Promise.resolve(init.transactions),
    endOffsets: (topic) => {
      probes += 1;
      const ends = topic === 'labels' ? init.ends.labels : init.ends.transactions;
      return Promise.resolve(new Map(ends.map((end, partition) => [partition, end])));
    },
    delayMs: 7 * DAY,
    now: () => clock,
  });
  return { gate, probes: () => probes, tick: (ms: number) => (clock += ms) };
}

describe('event-time gate', () => {
  it('admits transactions up to the label and transaction watermarks without probing again', async () => {
    const { gate, probes } = setup({
      labels: new Map([
        [0, { nextOffset: 5, eventTimeMs: 10 * DAY }],
        [1, { nextOffset: 5, eventTimeMs: 12 * DAY }],
      ]),
      transactions: new Map([[1, { nextOffset: 3, eventTimeMs: 2 * DAY }]]),
      ends: { labels: [9, 9], transactions: [9, 9] },
    });
    // Label bound: 10 days (partition 0); transaction bound: 2 + 7 = 9 days (partition 1).
    expect(await gate.admissible([8 * DAY, 9 * DAY - 1, 9 * DAY, 9.5 * DAY], 0, 1_000)).toBe(2);
    const afterFirst = probes();
    expect(await gate.admissible([1 * DAY, 2 * DAY], 0, 1_000)).toBe(2);
    expect(probes()).toBe(afterFirst);
  });

  it('treats a caught-up partition as complete, but only with an end offset read after the fetch', async () => {
    const labels: TopicProgress = new Map([[0, { nextOffset: 9, eventTimeMs: 1 * DAY }]]);
    const { gate, probes, tick } = setup({
      labels,
      transactions: new Map(),
      ends: { labels: [9], transactions: [0, 0] },
    });
    expect(await gate.admissible([5 * DAY], 0, 1_000)).toBe(1);
    const before = probes();
    // A batch fetched after the last probe needs a fresh one.
    tick(10);
    expect(await gate.admissible([6 * DAY], 0, 1_010)).toBe(1);
    expect(probes()).toBeGreaterThan(before);
  });

  it('holds a transaction whose labels are not all applied yet', async () => {
    const { gate } = setup({
      labels: new Map([[0, { nextOffset: 4, eventTimeMs: 3 * DAY }]]),
      transactions: new Map(),
      ends: { labels: [9], transactions: [0] },
    });
    expect(await gate.admissible([3 * DAY, 4 * DAY], 0, 1_000)).toBe(0);
    expect(await gate.admissible([3 * DAY - 1, 4 * DAY], 0, 1_000)).toBe(1);
  });

  it('ignores its own partition and waits for the others up to t − d', async () => {
    const { gate } = setup({
      labels: new Map(),
      transactions: new Map([
        [0, { nextOffset: 1, eventTimeMs: 0 }],
        [1, { nextOffset: 1, eventTimeMs: 5 * DAY }],
      ]),
      ends: { labels: [], transactions: [10, 10] },
    });
    expect(await gate.admissible([11 * DAY, 12 * DAY], 0, 1_000)).toBe(1);
    expect(await gate.admissible([6 * DAY], 1, 1_000)).toBe(1);
    expect(await gate.admissible([7 * DAY], 1, 1_000)).toBe(0);
  });

  it('tells how far every other partition is recorded, as of its last check', async () => {
    const { gate } = setup({
      labels: new Map(),
      transactions: new Map([
        [0, { nextOffset: 4, eventTimeMs: 3 * DAY }],
        [1, { nextOffset: 7, eventTimeMs: 5 * DAY }],
      ]),
      ends: { labels: [], transactions: [10, 10, 0] },
    });
    expect(gate.recordedBeforeMs(0)).toBe(Number.NEGATIVE_INFINITY);
    await gate.admissible([9 * DAY], 0, 1_000);
    // Partition 2 has no progress yet: nothing is known recorded of it.
    expect(gate.recordedBeforeMs(0)).toBe(Number.NEGATIVE_INFINITY);
  });

  it('takes the least of the other partitions\' progress, not its own', async () => {
    const { gate } = setup({
      labels: new Map(),
      transactions: new Map([
        [0, { nextOffset: 4, eventTimeMs: 3 * DAY }],
        [1, { nextOffset: 7, eventTimeMs: 5 * DAY }],
        [2, { nextOffset: 2, eventTimeMs: 6 * DAY }],
      ]),
      ends: { labels: [], transactions: [10, 10, 10] },
    });
    await gate.admissible([9 * DAY], 0, 1_000);
    expect(gate.recordedBeforeMs(0)).toBe(5 * DAY);
    expect(gate.recordedBeforeMs(1)).toBe(3 * DAY);
  });
});
