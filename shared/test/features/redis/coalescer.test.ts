import { describe, expect, it } from 'vitest';
import { createCoalescer } from '../../../src/features/redis/coalescer.js';

interface Job {
  kind: string;
  size: number;
}

/** A coalescer whose runs wait until the test releases them, recording each group it ran. */
function gatedCoalescer(maxSize = 10) {
  const groups: Job[][] = [];
  const gates: Array<{ release: () => void; fail: (err: Error) => void }> = [];
  const submit = createCoalescer<Job, string>({
    canJoin: (first, job) => job.kind === first.kind,
    sizeOf: (job) => job.size,
    maxSize,
    run(group) {
      groups.push([...group]);
      return new Promise((resolve, reject) => {
        gates.push({ release: () => resolve(group.map((job) => `${job.kind}${job.size} of ${group.length}`)), fail: reject });
      });
    },
  });
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return { submit, groups, gates, tick };
}

describe('createCoalescer', () => {
  it('runs an input alone when nothing runs, and those that arrive meanwhile together next', async () => {
    const { submit, groups, gates, tick } = gatedCoalescer();
    const first = submit({ kind: 'a', size: 1 });
    const second = submit({ kind: 'a', size: 2 });
    const third = submit({ kind: 'a', size: 3 });
    await tick();
    expect(groups).toEqual([[{ kind: 'a', size: 1 }]]);
    gates[0]!.release();
    expect(await first).toBe('a1 of 1');
    await tick();
    expect(groups[1]).toEqual([{ kind: 'a', size: 2 }, { kind: 'a', size: 3 }]);
    gates[1]!.release();
    expect(await Promise.all([second, third])).toEqual(['a2 of 2', 'a3 of 2']);
  });

  it('keeps inputs that may not join for a later group, in arrival order', async () => {
    const { submit, groups, gates, tick } = gatedCoalescer(10);
    const results = [
      submit({ kind: 'a', size: 1 }),
      submit({ kind: 'a', size: 6 }),
      submit({ kind: 'b', size: 1 }),
      submit({ kind: 'a', size: 6 }),
      submit({ kind: 'a', size: 4 }),
      submit({ kind: 'b', size: 2 }),
    ];
    for (let run = 0; run < 4; run++) {
      await tick();
      gates[run]!.release();
    }
    await Promise.all(results);
    expect(groups.map((group) => group.map((job) => `${job.kind}${job.size}`))).toEqual([['a1'], ['a6', 'a4'], ['b1', 'b2'], ['a6']]);
  });

  it('runs an input larger than the limit alone', async () => {
    const { submit, groups, gates, tick } = gatedCoalescer(10);
    const results = [submit({ kind: 'a', size: 1 }), submit({ kind: 'a', size: 50 }), submit({ kind: 'a', size: 1 })];
    for (let run = 0; run < 3; run++) {
      await tick();
      gates[run]!.release();
    }
    await Promise.all(results);
    expect(groups.map((group) => group.map((job) => job.size))).toEqual([[1], [50], [1]]);
  });

  it('rejects every input of a failed run and goes on with the next group', async () => {
    const { submit, gates, tick } = gatedCoalescer();
    const first = submit({ kind: 'a', size: 1 });
    const second = submit({ kind: 'a', size: 1 });
    const third = submit({ kind: 'a', size: 1 });
    await tick();
    gates[0]!.release();
    await first;
    await tick();
    gates[1]!.fail(new Error('down'));
    await Promise.all([expect(second).rejects.toThrow('down'), expect(third).rejects.toThrow('down')]);
    const fourth = submit({ kind: 'a', size: 1 });
    await tick();
    gates[2]!.release();
    expect(await fourth).toBe('a1 of 1');
  });
});
