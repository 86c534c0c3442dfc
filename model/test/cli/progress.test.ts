import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgress } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; writes: string[] } {
  const writes: string[] = [];
  const stream = { isTTY, write: (chunk: string) => writes.push(chunk) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

const bar = (filled: number): string => `[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}]`;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.UTC(2026, 0, 1));
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createProgress', () => {
  it('draws a bar of 30 with the percentage right-aligned and the detail, clearing the rest of the line', () => {
    const { stream, writes } = fakeStream(true);
    createProgress('replay ', stream).update(0.25, '12 MiB');
    expect(writes).toEqual([`\rreplay  ${bar(8)}  25% 12 MiB\x1b[K`]);
  });

  it('keeps the fraction within 0 and 1', () => {
    const { stream, writes } = fakeStream(true);
    const progress = createProgress('p', stream);
    progress.update(-0.5);
    vi.advanceTimersByTime(100);
    progress.update(1.7);
    expect(writes).toEqual([`\rp ${bar(0)}   0% \x1b[K`, `\rp ${bar(30)} 100% \x1b[K`]);
  });

  it('draws at most every 100 ms', () => {
    const { stream, writes } = fakeStream(true);
    const progress = createProgress('p', stream);
    progress.update(0.1);
    vi.advanceTimersByTime(99);
    progress.update(0.2);
    expect(writes).toHaveLength(1);
    vi.advanceTimersByTime(1);
    progress.update(0.3);
    expect(writes).toHaveLength(2);
    expect(writes[1]).toContain(' 30% ');
  });

  it('ends at 100 % with its detail and a new line, however recently it drew', () => {
    const { stream, writes } = fakeStream(true);
    const progress = createProgress('train ', stream);
    progress.update(0.5);
    progress.done('3 networks');
    expect(writes.slice(1)).toEqual([`\rtrain  ${bar(30)} 100% 3 networks\x1b[K`, '\n']);
  });

  it('writes nothing when the stream is not a terminal', () => {
    const { stream, writes } = fakeStream(false);
    const progress = createProgress('p', stream);
    progress.update(0.5, 'x');
    progress.done('y');
    expect(writes).toEqual([]);
  });
});
