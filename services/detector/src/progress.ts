import type { Cluster, Redis } from 'ioredis';
import { DAY_MS } from '@fraudstream/shared';

/**
 * How far a partition has been taken into the feature store: every message before `nextOffset` is
 * recorded, and so is every event with an event time before `eventTimeMs` (partitions are in event-time
 * order). Both only grow: recording is idempotent, so a redelivery never makes either untrue.
 */
export interface PartitionProgress {
  nextOffset: number;
  eventTimeMs: number;
}

export type TopicProgress = Map<number, PartitionProgress>;

/** Where the replicas publish how far each input partition is recorded (shared through Redis). */
export interface ProgressBoard {
  publish(topic: string, partition: number, progress: PartitionProgress): Promise<void>;
  read(topic: string): Promise<TopicProgress>;
  close(): Promise<void>;
}

export const NO_PROGRESS: PartitionProgress = { nextOffset: 0, eventTimeMs: Number.NEGATIVE_INFINITY };

export function mergeProgress(a: PartitionProgress | undefined, b: PartitionProgress): PartitionProgress {
  if (!a) return b;
  return { nextOffset: Math.max(a.nextOffset, b.nextOffset), eventTimeMs: Math.max(a.eventTimeMs, b.eventTimeMs) };
}

export function createMemoryProgressBoard(): ProgressBoard {
  const topics = new Map<string, TopicProgress>();
  return {
    publish(topic, partition, progress) {
      const partitions = topics.get(topic) ?? new Map<number, PartitionProgress>();
      topics.set(topic, partitions);
      partitions.set(partition, mergeProgress(partitions.get(partition), progress));
      return Promise.resolve();
    },
    read(topic) {
      return Promise.resolve(new Map(topics.get(topic) ?? []));
    },
    close: () => Promise.resolve(),
  };
}

// Raises each field of the partition's entry to the published value, atomically (replicas race), and
// renews both keys' time to live: a topic no detector consumes any more leaves nothing behind for good.
const PUBLISH_SCRIPT = `
local offset = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '-1')
if tonumber(ARGV[2]) > offset then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
local time = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1e300')
if tonumber(ARGV[3]) > time then redis.call('HSET', KEYS[2], ARGV[1], ARGV[3]) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1`;

export interface RedisProgressBoardOptions {
  /** A single Redis or a Redis Cluster. */
  client: Redis | Cluster;
  keyPrefix: string;
  /** Closes the client on close() (when the board made it). */
  ownsClient?: boolean;
  /** Wall-clock time to live of the progress keys, renewed by every publish (default 7 days). */
  ttlMs?: number;
}

type ProgressRedis = (Redis | Cluster) & {
  fraudstreamPublishProgress(offsetsKey: string, timesKey: string, partition: string, offset: string, time: string, ttlMs: string): Promise<number>;
};

export function createRedisProgressBoard({ client: redis, keyPrefix, ownsClient = false, ttlMs = 7 * DAY_MS }: RedisProgressBoardOptions): ProgressBoard {
  const client = redis as ProgressRedis;
  if (typeof client.fraudstreamPublishProgress !== 'function') {
    client.defineCommand('fraudstreamPublishProgress', { numberOfKeys: 2, lua: PUBLISH_SCRIPT });
  }
  // The script changes both hashes of a topic: on a Redis Cluster the topic is their hash tag, so they
  // share a slot. A single Redis keeps the untagged names a running deployment has.
  const tagged = (topic: string) => (client.isCluster ? `{${topic}}` : topic);
  const offsetsKey = (topic: string) => `${keyPrefix}detector:progress:${tagged(topic)}:offsets`;
  const timesKey = (topic: string) => `${keyPrefix}detector:progress:${tagged(topic)}:times`;
  let closed = false;
  return {
    async publish(topic, partition, progress) {
      const time = Number.isFinite(progress.eventTimeMs) ? progress.eventTimeMs : -1e300;
      await client.fraudstreamPublishProgress(offsetsKey(topic), timesKey(topic), String(partition), String(progress.nextOffset), String(time), String(ttlMs));
    },
    async read(topic) {
      const [offsets, times] = await Promise.all([client.hgetall(offsetsKey(topic)), client.hgetall(timesKey(topic))]);
      const result: TopicProgress = new Map();
      for (const [partition, offset] of Object.entries(offsets)) {
        const time = Number(times[partition] ?? '-1e300');
        result.set(Number(partition), { nextOffset: Number(offset), eventTimeMs: time <= -1e300 ? Number.NEGATIVE_INFINITY : time });
      }
      return result;
    },
    async close() {
      if (closed || !ownsClient) return;
      closed = true;
      await client.quit();
    },
  };
}
