import { FraudstreamError, type Logger } from '@fraudstream/shared';
import type { DetectorMetrics } from './metrics.js';

/** The slice of the kafkajs admin client the replica check uses. */
export interface GroupsAdmin {
  describeGroups(groupIds: string[]): Promise<{ groups: Array<{ members: readonly unknown[] }> }>;
}

export interface GroupJoinOptions {
  topic: string;
  groupId: string;
  /** 'memory' refuses to run next to other replicas: each would see a fraction of the history. */
  store: 'memory' | 'redis';
  admin: GroupsAdmin;
  /** The partitions' transactional producers: closed on a join, the new ones started at once. */
  writers: { closeAll(): Promise<void>; writerFor(partition: number): Promise<unknown> };
  engine: { forgetCards(): void };
  guard: { reset(): void };
  log: Logger;
  metrics: Pick<DetectorMetrics, 'assignedPartitions'>;
  onAssigned: (partitions: number[]) => void;
  onFatal?: ((err: Error) => void) | undefined;
}

export interface GroupJoin {
  memberId: string;
  memberAssignment: Readonly<Record<string, readonly number[]>>;
}

/** The partitions of `topic` a member got, in order. */
export const assignedPartitions = (memberAssignment: GroupJoin['memberAssignment'], topic: string): number[] =>
  [...(memberAssignment[topic] ?? [])].sort((a, b) => a - b);

/** Why a replica with an in-memory feature store must not go on in a group of `members`, if it must not. */
export function memoryStoreShared(groupId: string, members: number): FraudstreamError | undefined {
  if (members <= 1) return undefined;
  return new FraudstreamError(
    'CONFIG_INVALID',
    `${members} detector replicas share group ${groupId} but this one keeps features in memory: set REDIS_URL on every replica`,
  );
}

/**
 * What a replica does when it joins its group. After a rebalance kafkajs starts again from the
 * committed offsets, but the commit markers of this replica's last transactions may still be on their
 * way (without KIP-447's stable offset fetch the broker then returns the older offset). A new
 * producer's initialisation waits for them, so every partition gets a new one, and its position is
 * checked against the committed offset after that (the producers start at once, not at the first
 * batch). The cards and event times of the partitions it
 * gets may have moved on elsewhere, so they are forgotten too.
 */
export function createGroupJoinHandler(options: GroupJoinOptions): (join: GroupJoin) => void {
  const { topic, groupId, admin, log, metrics } = options;
  const checkAlone = async (): Promise<void> => {
    const { groups } = await admin.describeGroups([groupId]);
    const members = groups[0]?.members.length ?? 0;
    const err = memoryStoreShared(groupId, members);
    if (err) {
      log.fatal({ err, members }, 'refusing to score with an in-memory feature store next to other replicas');
      options.onFatal?.(err);
    }
  };
  return ({ memberId, memberAssignment }) => {
    const assigned = assignedPartitions(memberAssignment, topic);
    options.onAssigned(assigned);
    metrics.assignedPartitions.set(assigned.length);
    log.info({ assigned, memberId }, 'partitions assigned');
    void options.writers.closeAll();
    // Each assigned partition's new producer starts now, beside the first fetch, so its first batch
    // finds it initialised (the broker may have to finish the previous owner's transaction first). A
    // producer that fails here is made again by that batch.
    for (const partition of assigned) {
      options.writers.writerFor(partition).catch((err: unknown) => log.warn({ err, partition }, 'could not start the partition\'s producer ahead; its first batch tries again'));
    }
    options.engine.forgetCards();
    options.guard.reset();
    if (options.store === 'memory') {
      checkAlone().catch((err: unknown) => log.warn({ err }, 'could not describe the consumer group'));
    }
  };
}
