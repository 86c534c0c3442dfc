import { describe, expect, it } from 'vitest';
import { createLogger, isFraudstreamError } from '@fraudstream/shared';
import { assignedPartitions, createGroupJoinHandler, memoryStoreShared, type GroupsAdmin } from '../src/group-join.js';
import { createDetectorMetrics } from '../src/metrics.js';

/** The failures these tests provoke are logged; nobody needs to read them. */
const quiet = createLogger({ name: 'test', level: 'silent', pretty: false });

/** A replica's collaborators, recording what the handler did to them. */
function replica(store: 'memory' | 'redis', admin: GroupsAdmin) {
  const done: string[] = [];
  const fatal: Error[] = [];
  let assigned: number[] = [];
  const metrics = createDetectorMetrics();
  const onJoin = createGroupJoinHandler({
    topic: 'transactions',
    groupId: 'detectors',
    store,
    admin,
    writers: {
      closeAll: () => Promise.resolve(void done.push('writers closed')),
      writerFor: (partition: number) => {
        done.push(`writer ${partition} started`);
        return partition === 3 ? Promise.reject(new Error('broker unreachable')) : Promise.resolve();
      },
    },
    engine: { forgetCards: () => void done.push('cards forgotten') },
    guard: { reset: () => void done.push('guard reset') },
    log: quiet,
    metrics,
    onAssigned: (partitions) => {
      assigned = partitions;
    },
    onFatal: (err) => void fatal.push(err),
  });
  return { done, fatal, metrics, onJoin, assigned: () => assigned };
}

const groupOf = (members: number): GroupsAdmin => ({ describeGroups: () => Promise.resolve({ groups: [{ members: Array(members).fill({}) }] }) });
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('group join', () => {
  it('takes its partitions of the transactions topic, in order, and starts every partition afresh, its producers at once', async () => {
    const { done, metrics, onJoin, assigned } = replica('redis', { describeGroups: () => Promise.reject(new Error('not asked')) });
    onJoin({ memberId: 'm-1', memberAssignment: { transactions: [5, 1, 3], labels: [0] } });
    expect(assigned()).toEqual([1, 3, 5]);
    expect((await metrics.assignedPartitions.get()).values[0]?.value).toBe(3);
    // A producer that cannot start ahead is only logged: the partition's first batch makes it again.
    await settle();
    expect(done).toEqual(['writers closed', 'writer 1 started', 'writer 3 started', 'writer 5 started', 'cards forgotten', 'guard reset']);
  });

  it('stops a replica with an in-memory store that shares its group, and lets one alone go on', async () => {
    const crowded = replica('memory', groupOf(2));
    crowded.onJoin({ memberId: 'm-1', memberAssignment: { transactions: [0] } });
    await settle();
    expect(crowded.fatal).toHaveLength(1);
    expect(isFraudstreamError(crowded.fatal[0], 'CONFIG_INVALID')).toBe(true);

    const alone = replica('memory', groupOf(1));
    alone.onJoin({ memberId: 'm-1', memberAssignment: { transactions: [0] } });
    await settle();
    expect(alone.fatal).toEqual([]);
  });

  it('goes on when the group cannot be described', async () => {
    const { fatal, onJoin } = replica('memory', { describeGroups: () => Promise.reject(new Error('coordinator moving')) });
    onJoin({ memberId: 'm-1', memberAssignment: {} });
    await settle();
    expect(fatal).toEqual([]);
  });

  it('names the group and the remedy when replicas share an in-memory store', () => {
    expect(memoryStoreShared('detectors', 1)).toBeUndefined();
    expect(memoryStoreShared('detectors', 3)?.message).toBe('3 detector replicas share group detectors but this one keeps features in memory: set REDIS_URL on every replica');
    expect(assignedPartitions({ labels: [1] }, 'transactions')).toEqual([]);
  });
});
