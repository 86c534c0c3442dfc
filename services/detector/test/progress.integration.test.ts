import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryProgressBoard, createRedisProgressBoard, type ProgressBoard } from '../src/progress.js';

const redis = new Redis('redis://127.0.0.1:6379');
const prefix = `test-${randomBytes(5).toString('hex')}:`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const boards: Array<[string, () => ProgressBoard]> = [
  ['memory', () => createMemoryProgressBoard()],
  ['redis', () => createRedisProgressBoard({ client: redis, keyPrefix: `${prefix}${randomBytes(3).toString('hex')}:` })],
];

describe.each(boards)('%s progress board', (_name, make) => {
  it('only ever raises a partition offset and event time', async () => {
    const board = make();
    expect(await board.read('tx')).toEqual(new Map());
    await board.publish('tx', 0, { nextOffset: 10, eventTimeMs: 5_000 });
    await board.publish('tx', 0, { nextOffset: 7, eventTimeMs: 9_000 });
    await board.publish('tx', 2, { nextOffset: 3, eventTimeMs: Number.NEGATIVE_INFINITY });
    await board.publish('other', 0, { nextOffset: 99, eventTimeMs: 99 });
    expect(await board.read('tx')).toEqual(
      new Map([
        [0, { nextOffset: 10, eventTimeMs: 9_000 }],
        [2, { nextOffset: 3, eventTimeMs: Number.NEGATIVE_INFINITY }],
      ]),
    );
    await board.close();
  });
});

describe('redis progress board', () => {
  it('gives its keys a time to live, renewed by every publish', async () => {
    const keyPrefix = `${prefix}ttl:`;
    const board = createRedisProgressBoard({ client: redis, keyPrefix, ttlMs: 60_000 });
    await board.publish('tx', 0, { nextOffset: 1, eventTimeMs: 1 });
    for (const kind of ['offsets', 'times']) {
      const ttl = await redis.pttl(`${keyPrefix}detector:progress:tx:${kind}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
  });
});
