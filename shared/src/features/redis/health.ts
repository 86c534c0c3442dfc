import type { Cluster, Redis } from 'ioredis';
import type { FeatureRedis } from './scripts.js';

const addressOf = (redis: Redis): string => `${redis.options.host}:${redis.options.port}`;

/**
 * What keeps the feature store's Redis from serving a batch now, for a readiness probe: the client not
 * ready; on a Redis Cluster also a master it cannot reach while slots still map to it, until it is back
 * or a replica has taken over (the client stays `ready` meanwhile: it reaches the other masters).
 */
export function watchRedisHealth(client: FeatureRedis): () => string[] {
  if (!client.isCluster) return () => (client.status === 'ready' ? [] : [`Redis ${client.status}`]);
  const cluster = client as Cluster;
  // A lost node's connection is dropped and made again at each slots refresh, so its status flickers:
  // a node is failing from its first error until a connection to it is ready.
  const failing = new Set<string>();
  cluster.on('node error', (_err: unknown, address: string) => failing.add(address));
  cluster.on('+node', (redis: Redis) => {
    redis.on('ready', () => failing.delete(addressOf(redis)));
  });
  return () => {
    if (cluster.status !== 'ready') return [`Redis Cluster ${cluster.status}`];
    const masters = new Set(cluster.slots.map((nodes) => nodes[0]));
    for (const address of failing) if (!masters.has(address)) failing.delete(address);
    // A connection made again waits for a command; with no batch to send, the probe is one.
    for (const redis of cluster.nodes('master')) {
      if (failing.has(addressOf(redis)) && redis.status === 'wait') redis.connect().catch(() => undefined);
    }
    return [...failing].map((address) => `Redis Cluster master ${address} unreachable`);
  };
}
