import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgressBar } from '../../src/cli/progress.js';

/** A stream that records what is written to it, a terminal or not. */
function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; writes: string[] } {
  const writes: string[] = [];
  const stream = { isTTY, write: (chunk: string) => writes.push(chunk) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['performance'] });
  vi.advanceTimersByTime(1_000);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createProgressBar', () => {
  it('draws a bar of 30 with the share done, the detail and the seconds since it started', () => {
    const { stream, writes } = fakeStream(true);
    const bar = createProgressBar(200, 'simulate', stream);
    vi.advanceTimersByTime(2_500);
    bar.update(50, 'day 3');
    expect(writes).toEqual([`\r\x1b[2Ksimulate [${'#'.repeat(8)}${'-'.repeat(22)}] 25% day 3 2.5s`]);
  });

  it('draws at most every 100 ms, except the last step', () => {
    const { stream, writes } = fakeStream(true);
    const bar = createProgressBar(10, 'p', stream);
    bar.update(1);
    vi.advanceTimersByTime(50);
    bar.update(2);
    expect(writes).toHaveLength(1);
    vi.advanceTimersByTime(50);
    bar.update(3);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain('] 30% ');
    bar.update(10);
    expect(writes).toHaveLength(3);
    expect(writes[2]).toContain(`[${'#'.repeat(30)}] 100% `);
  });

  it('shows 100% for an empty total and never more than 100%', () => {
    const empty = fakeStream(true);
    createProgressBar(0, 'p', empty.stream).update(0);
    expect(empty.writes[0]).toContain(`[${'#'.repeat(30)}] 100% `);
    const over = fakeStream(true);
    createProgressBar(10, 'p', over.stream).update(25);
    expect(over.writes[0]).toContain(`[${'#'.repeat(30)}] 100% `);
  });

  it('ends the line when done', () => {
    const { stream, writes } = fakeStream(true);
    const bar = createProgressBar(1, 'p', stream);
    bar.update(1);
    bar.done();
    expect(writes.at(-1)).toBe('\n');
  });

  it('writes nothing when the stream is not a terminal', () => {
    const { stream, writes } = fakeStream(false);
    const bar = createProgressBar(10, 'p', stream);
    bar.update(5);
    bar.update(10);
    bar.done();
    expect(writes).toEqual([]);
  });
});
