/**
 * Remembers which broker coordinates a group or a transactional id, for a second, inside kafkajs
 * 2.2.4 (install.ts applies it).
 *
 * kafkajs asks a broker for the coordinator (a FindCoordinator round trip) before every request to
 * one, and a transaction makes four such requests: AddPartitionsToTxn, AddOffsetsToTxn,
 * TxnOffsetCommit and EndTxn. The detector commits one transaction per batch, so half of its
 * round trips to the broker were these lookups. Coordinators move only when brokers come and go; a
 * request sent to a broker that no longer coordinates fails with NOT_COORDINATOR, kafkajs retries it
 * with backoff, and after at most COORDINATOR_TTL_MS the lookup is made afresh. A failed lookup is
 * never remembered, and concurrent lookups of one coordinator share a single request.
 */
import { alreadyMended, expectFunction, internalModule, isMended, markMended, member, type KafkajsModules } from './internals.js';

export const COORDINATOR_TTL_MS = 1_000;

interface CoordinatorQuery {
  groupId: string;
  coordinatorType?: number;
}

type Lookup<T> = (query: CoordinatorQuery) => Promise<T>;

/** `lookup` with its answers kept for `ttlMs` per (coordinator type, id). */
export function rememberCoordinators<T>(lookup: Lookup<T>, ttlMs = COORDINATOR_TTL_MS, now: () => number = Date.now): Lookup<T> {
  const known = new Map<string, { answer: Promise<T>; until: number }>();
  return (query) => {
    const key = `${query.coordinatorType ?? 0}:${query.groupId}`;
    const entry = known.get(key);
    if (entry !== undefined && now() < entry.until) return entry.answer;
    const answer = lookup(query);
    const remembered = { answer, until: Infinity };
    known.set(key, remembered);
    answer.then(
      () => {
        remembered.until = now() + ttlMs;
      },
      () => {
        if (known.get(key) === remembered) known.delete(key);
      },
    );
    return answer;
  };
}

interface ClusterPrototype {
  findGroupCoordinatorMetadata(this: object, query: CoordinatorQuery): Promise<unknown>;
}

const MEND = 'coordinators';
const CLUSTER = 'src/cluster/index.js';

/** Checks kafkajs' internals for this mend and returns the step that applies it. */
export function prepareCoordinators(modules: KafkajsModules): () => void {
  const prototype = member(internalModule(modules, CLUSTER), 'prototype') as ClusterPrototype;
  if (isMended(prototype, MEND)) return alreadyMended;
  const original = expectFunction<ClusterPrototype['findGroupCoordinatorMetadata']>(
    member(prototype, 'findGroupCoordinatorMetadata'),
    `${CLUSTER} Cluster.prototype.findGroupCoordinatorMetadata`,
  );
  return () => {
    const perCluster = new WeakMap<object, Lookup<unknown>>();
    // Only the coordinator's metadata (its node id) is remembered: kafkajs still finds the broker
    // connection for that node each time, so a dropped connection is made again as before.
    prototype.findGroupCoordinatorMetadata = function (this: object, query: CoordinatorQuery): Promise<unknown> {
      let lookup = perCluster.get(this);
      if (lookup === undefined) {
        lookup = rememberCoordinators((q) => original.call(this, q));
        perCluster.set(this, lookup);
      }
      return lookup(query);
    };
    markMended(prototype, MEND);
  };
}
