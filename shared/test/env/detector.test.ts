import { describe, expect, it } from 'vitest';
import { DetectorEnv, loadConfig } from '@fraudstream/shared';

describe('DetectorEnv', () => {
  it('binds the ops server to this machine only by default', () => {
    expect(loadConfig(DetectorEnv, {}).DETECTOR_HOST).toBe('127.0.0.1');
    expect(loadConfig(DetectorEnv, { DETECTOR_HOST: '0.0.0.0' }).DETECTOR_HOST).toBe('0.0.0.0');
  });
});

describe('REDIS_CLUSTER_NODES', () => {
  it('reads a comma-separated list of host:port', () => {
    expect(loadConfig(DetectorEnv, { REDIS_CLUSTER_NODES: 'redis-1:7000, redis-2:7001,' }).REDIS_CLUSTER_NODES).toEqual([
      { host: 'redis-1', port: 7000 },
      { host: 'redis-2', port: 7001 },
    ]);
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: 'redis-1' }, /REDIS_CLUSTER_NODES.*host:port/],
    [{ REDIS_CLUSTER_NODES: 'redis-1:70000' }, /REDIS_CLUSTER_NODES.*port from 1 to 65535/],
    [{ REDIS_CLUSTER_NODES: ' , ' }, /REDIS_CLUSTER_NODES.*at least one host:port/],
    [{ REDIS_CLUSTER_NODES: 'redis-1:7000', REDIS_URL: 'redis://redis:6379' }, /REDIS_CLUSTER_NODES.*not both/],
    [{ REDIS_CLUSTER_NODES: 'redis-1:7000', REDIS_KEY_PREFIX: 'fs:{a}:' }, /REDIS_KEY_PREFIX.*must not hold \{ or \}/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(DetectorEnv, env)).toThrow(message);
  });
});
