import { describe, expect, it } from 'vitest';
import { groupBySlot, keySlot, settleAll, splitBySlot, type ScriptSection } from '../../../src/features/redis/slots.js';

describe('keySlot', () => {
  it('hashes keys as Redis Cluster does', () => {
    // CRC16-XMODEM("123456789") is 0x31C3; the others are CLUSTER KEYSLOT's answers.
    expect(keySlot('123456789')).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('')).toBe(0);
  });

  it('hashes only the hash tag, the text between the first { and the next }, when it is not empty', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('{user1000}.followers')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    expect(keySlot('foo{bar}{zap}')).toBe(keySlot('bar'));
    expect(keySlot('no}tag{')).toBe(keySlot('no}tag{'));
  });

  it('hashes the UTF-8 bytes of a key', () => {
    expect(keySlot('{é}x')).toBe(keySlot('é'));
    expect(keySlot('é')).not.toBe(keySlot('e'));
  });
});

describe('splitBySlot', () => {
  // Keys name their slot: "s<slot>:<name>".
  const slotOf = (key: string): number => Number(/^s(\d+):/.exec(key)![1]);

  it('gives each slot a call with its keys, renumbered, and the entries of those keys in order', () => {
    const keys = ['s1:a', 's2:b', 's1:c', 's3:d'];
    const sections: ScriptSection[] = [
      { entries: [1, 10, 'x', 2, 20, 'y', 3, 30, 'z', 1, 40, 'w'], width: 3, keyColumns: 1 },
      { entries: [], width: 2, keyColumns: 1 },
      { entries: [4, 4, 'v', 0, 3, 1, 'u', 9], width: 4, keyColumns: 2 },
    ];
    const calls = splitBySlot(keys, sections, slotOf);
    expect(calls.map((call) => call.keys)).toEqual([['s1:a', 's1:c'], ['s2:b'], ['s3:d']]);
    expect(calls.map((call) => call.sections.map((section) => section.entries))).toEqual([
      [[1, 10, 'x', 2, 30, 'z', 1, 40, 'w'], [], [2, 1, 'u', 9]],
      [[1, 20, 'y'], [], []],
      [[], [], [1, 1, 'v', 0]],
    ]);
    // Where each entry was in its section, to put the replies back in order.
    expect(calls.map((call) => call.origins)).toEqual([
      [[0, 2, 3], [], [1]],
      [[1], [], []],
      [[], [], [0]],
    ]);
    expect(calls[0]!.sections.map(({ width, keyColumns }) => [width, keyColumns])).toEqual([[3, 1], [2, 1], [4, 2]]);
  });
});

describe('groupBySlot', () => {
  it('groups items by their key’s slot, in the order slots first appear', () => {
    expect(groupBySlot(['{a}1', '{b}1', '{a}2'], (key) => key, keySlot)).toEqual([['{a}1', '{a}2'], ['{b}1']]);
  });
});

describe('settleAll', () => {
  it('rejects with the first failure only once every call has settled', async () => {
    const settled: string[] = [];
    let finish!: () => void;
    const slow = new Promise<string>((resolve) => (finish = () => resolve('slow'))).then((value) => {
      settled.push(value);
      return value;
    });
    const outcome = settleAll([Promise.reject(new Error('down')), slow]);
    let rejected = false;
    outcome.catch(() => (rejected = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(rejected).toBe(false);
    finish();
    await expect(outcome).rejects.toThrow('down');
    expect(settled).toEqual(['slow']);
    expect(await settleAll([Promise.resolve(1), Promise.resolve(2)])).toEqual([1, 2]);
  });
});
