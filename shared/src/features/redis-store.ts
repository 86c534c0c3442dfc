import { Redis } from 'ioredis';
import { FraudstreamError } from '../errors.js';
import { emptyHistories, type BatchHistories, type FeatureStore, type HistorySpans, type LabelRecord, type RecordOptions, type TransactionRecord } from './store.js';
import { recordBatch, ttlMs } from './redis/batch.js';
import { emptyFeatureCache } from './redis/cache.js';
import { createCoalescer } from './redis/coalescer.js';
import { DEFAULT_KEY_PREFIX, featureKeys, labelMember } from './redis/keys.js';
import { withFeatureScripts, type FeatureRedis } from './redis/scripts.js';
import { groupBySlot, keySlot, settleAll } from './redis/slots.js';

export { DEFAULT_KEY_PREFIX } from './redis/keys.js';
export { watchRedisHealth } from './redis/health.js';
export type { FeatureRedis } from './redis/scripts.js';

/** A client passed in (a `Redis` or a `Cluster`) is not closed by the store. */
export type RedisFeatureStoreOptions = { url: string; keyPrefix?: string } | { client: FeatureRedis; keyPrefix?: string };

/** Batches waiting together are recorded in one call up to about this many transactions (Redis blocks during a call). */
const COALESCE_MAX = 10_000;

interface BatchRequest {
  transactions: readonly TransactionRecord[];
  spans: HistorySpans;
  recordedBeforeMs: number;
}

/**
 * The feature store in Redis, shared by detector replicas. Redis holds every card's and terminal's
 * history and every terminal's labels; this process keeps in memory what it has read or written, and
 * reads from Redis only what another process may have written since (see `FeatureStore` for what
 * callers guarantee):
 * - a card's history is read once, at its first use: only the replica that owns the card's partition
 *   writes it. `forgetCards()` (on every rebalance, when partitions change owner) drops them.
 * - a terminal's transactions are written by every replica, but the engine reads them only up to
 *   t − terminalLagMs, which the caller guarantees to be recorded: each terminal is read for the span it
 *   lacks (ahead to `recordedBeforeMs` when the caller knows more), and what it has read stays complete.
 * - a terminal's labels carry a version counter: they are read again when it has moved.
 * So a batch costs Redis one write per transaction per key and few reads, in one Lua call. On a Redis
 * Cluster the keys carry hash tags and a batch is one call per slot it touches, sent all at once; the
 * client follows MOVED and ASK, and a call that fails (a node lost, a failover under way) fails the
 * batch, which leaves the cache as it was and may be recorded again.
 */
export function createRedisFeatureStore(options: RedisFeatureStoreOptions): FeatureStore {
  const ownsClient = 'url' in options;
  const client = withFeatureScripts(ownsClient ? new Redis(options.url, { lazyConnect: false }) : options.client);
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  const clustered = client.isCluster;
  if (clustered && /[{}]/.test(prefix)) {
    throw new FraudstreamError('CONFIG_INVALID', `A Redis Cluster's key prefix must not hold { or }: the store tags its keys itself, got ${JSON.stringify(prefix)}`);
  }
  const keys = featureKeys(prefix, { hashTags: clustered });
  const slotOf = clustered ? keySlot : undefined;
  const cache = emptyFeatureCache();
  let closed: Promise<void> | undefined;

  // Batches run one at a time, each relying on what the ones before it read. Those that arrive while
  // one runs (other partitions' batches) are recorded together in the next call: one Lua call for them
  // all keeps Redis' round trips off each batch's latency.
  const record = createCoalescer<BatchRequest, BatchHistories>({
    canJoin: (first, request) => request.spans === first.spans,
    sizeOf: (request) => request.transactions.length,
    maxSize: COALESCE_MAX,
    async run(group) {
      const transactions = group.length === 1 ? group[0]!.transactions : group.flatMap((request) => request.transactions);
      const recordedBeforeMs = Math.min(...group.map((request) => request.recordedBeforeMs));
      const histories = await recordBatch(client, keys, cache, transactions, group[0]!.spans, recordedBeforeMs, slotOf);
      let offset = 0;
      return group.map((request) => {
        const end = offset + request.transactions.length;
        const own = { cards: histories.cards.slice(offset, end), terminals: histories.terminals.slice(offset, end), terminalLabels: histories.terminalLabels.slice(offset, end) };
        offset = end;
        return own;
      });
    },
  });

  /** record-labels.lua's arguments: the key count, per label its set and counter, the TTL, per label its entry. */
  function labelArguments(records: readonly LabelRecord[], spans: HistorySpans): (string | number)[] {
    const labelKeys: string[] = [];
    const args: (string | number)[] = [ttlMs(spans)];
    for (const label of records) {
      labelKeys.push(keys.labels(label.terminalId), keys.labelsVersion(label.terminalId));
      // Trimmed relative to the labelled transaction's time: an analyst's labeledAt may be wall-clock
      // time far ahead of a simulated stream's event time.
      args.push(label.transactionTimestampMs, labelMember(label), label.transactionTimestampMs - spans.terminalMs - spans.graceMs);
    }
    return [labelKeys.length, ...labelKeys, ...args];
  }

  return {
    record(transactions: readonly TransactionRecord[], spans: HistorySpans, options: RecordOptions = {}): Promise<BatchHistories> {
      if (transactions.length === 0) return Promise.resolve(emptyHistories(0));
      return record({ transactions, spans, recordedBeforeMs: options.recordedBeforeMs ?? -Infinity });
    },

    async recordLabels(records: readonly LabelRecord[], spans: HistorySpans): Promise<void> {
      if (records.length === 0) return;
      const groups = slotOf ? groupBySlot(records, (label) => keys.labels(label.terminalId), slotOf) : [records];
      await settleAll(groups.map((group) => client.fraudstreamRecordLabels(labelArguments(group, spans))));
      // Read back at the terminal's next use: the version tells whether anyone else added one meanwhile.
      for (const label of records) {
        const cached = cache.labels.get(label.terminalId);
        if (cached !== undefined) cached.version = undefined;
      }
    },

    forgetCards(): void {
      cache.cards = new Map();
    },

    close(): Promise<void> {
      closed ??= ownsClient ? client.quit().then(() => undefined) : Promise.resolve();
      cache.cards.clear();
      cache.terminals.clear();
      cache.labels.clear();
      return closed;
    },
  };
}
