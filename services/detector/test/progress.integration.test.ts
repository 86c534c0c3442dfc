import { randomBytes } from 'node:crypto';
import { Redis, type Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type TestRedisCluster } from '../../../shared/test/support/redis-cluster.js';
import { createMemoryProgressBoard, createRedisProgressBoard, type ProgressBoard } from '../src/progress.js';

const redis = new Redis('redis://127.0.0.1:6379');
const prefix = `test-${randomBytes(5).toString('hex')}:`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

// A Redis Cluster of the file's own (three masters): the board's script changes two keys, which must share a slot there.
let cluster: TestRedisCluster;
let clusterClient: Cluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  clusterClient = cluster.client();
  return () => cluster.stop();
});

const boards: Array<[string, () => ProgressBoard]> = [
  ['memory', () => createMemoryProgressBoard()],
  ['redis', () => createRedisProgressBoard({ client: redis, keyPrefix: `${prefix}${randomBytes(3).toString('hex')}:` })],
  ['redis cluster', () => createRedisProgressBoard({ client: clusterClient, keyPrefix: `${prefix}${randomBytes(3).toString('hex')}:` })],
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

  it('keeps a topic\'s two keys on one slot of a Redis Cluster, and on a single Redis the names it always had', async () => {
    const keyPrefix = `${prefix}slots:`;
    const board = createRedisProgressBoard({ client: clusterClient, keyPrefix });
    await board.publish('tx', 3, { nextOffset: 8, eventTimeMs: 9 });
    const keys = ['offsets', 'times'].map((kind) => `${keyPrefix}detector:progress:{tx}:${kind}`);
    for (const key of keys) expect(await clusterClient.pttl(key)).toBeGreaterThan(0);
    expect(new Set(await Promise.all(keys.map((key) => clusterClient.cluster('KEYSLOT', key)))).size).toBe(1);
    expect(await clusterClient.hget(keys[0]!, '3')).toBe('8');
    await createRedisProgressBoard({ client: redis, keyPrefix }).publish('tx', 3, { nextOffset: 8, eventTimeMs: 9 });
    expect(await redis.hget(`${keyPrefix}detector:progress:tx:offsets`, '3')).toBe('8');
  });
});
