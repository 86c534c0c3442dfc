import { Redis } from 'ioredis';
import { emptySeries, insertEntry } from './series.js';
import {
  centsOf,
  compareLabels,
  emptyHistories,
  type BatchHistories,
  type FeatureStore,
  type HistorySpans,
  type LabelEntry,
  type LabelRecord,
  type RecordOptions,
  type TimeSeries,
  type TransactionRecord,
} from './store.js';

export type RedisFeatureStoreOptions = { url: string; keyPrefix?: string } | { client: Redis; keyPrefix?: string };

export const DEFAULT_KEY_PREFIX = 'fraudstream:features:';

/*
 * Keys (sorted sets, score = transaction time in ms, so ZRANGEBYSCORE reads a time window):
 *   card:<cardId>             member "<transactionId>|<amount in cents>"
 *   term:<terminalId>         member "<transactionId>"
 *   label:<terminalId>        member "<transactionId>|<labeledAtMs, 15 digits>|<0|1>"
 *   labels-version:<terminal> a counter raised whenever label:<terminal> gains a member
 * ZADD of an existing member changes nothing, which is what makes redelivery harmless.
 */

// One call per batch. KEYS: every key of the batch once. ARGV: ttl, then four sections, each a count
// followed by its entries (keys named by their index in KEYS):
//   writes       key, score, member          ZADD
//   maintenance  key, min score to keep      ZREMRANGEBYSCORE below it, PEXPIRE ttl
//   reads        key, min, max               ZRANGEBYSCORE … WITHSCORES (min/max may start with "(")
//   label sets   label key, version key, version known here, min
//                the label set from min on, WITHSCORES, unless the version is the one known here
// Writes go first, so a read returns this batch's own entries too. Returns {reads, {version, entries?}…}.
const RECORD_SCRIPT = `
local ttl = ARGV[1]
local a = 2
local n = tonumber(ARGV[a]); a = a + 1
for i = 1, n do
  redis.call('ZADD', KEYS[tonumber(ARGV[a])], ARGV[a + 1], ARGV[a + 2])
  a = a + 3
end
n = tonumber(ARGV[a]); a = a + 1
for i = 1, n do
  local key = KEYS[tonumber(ARGV[a])]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[a + 1])
  redis.call('PEXPIRE', key, ttl)
  a = a + 2
end
local reads = {}
n = tonumber(ARGV[a]); a = a + 1
for i = 1, n do
  reads[i] = redis.call('ZRANGEBYSCORE', KEYS[tonumber(ARGV[a])], ARGV[a + 1], ARGV[a + 2], 'WITHSCORES')
  a = a + 3
end
local labels = {}
n = tonumber(ARGV[a]); a = a + 1
for i = 1, n do
  local version = redis.call('GET', KEYS[tonumber(ARGV[a + 1])]) or '0'
  if version == ARGV[a + 2] then
    labels[i] = {version}
  else
    labels[i] = {version, redis.call('ZRANGEBYSCORE', KEYS[tonumber(ARGV[a])], ARGV[a + 3], '+inf', 'WITHSCORES')}
  end
  a = a + 4
end
return {reads, labels}
`;

// KEYS: per label, its set and its version counter. ARGV: ttl, then per label score, member, trim bound.
const RECORD_LABELS_SCRIPT = `
local ttl = ARGV[1]
for i = 0, #KEYS / 2 - 1 do
  local set, version = KEYS[i * 2 + 1], KEYS[i * 2 + 2]
  local a = 2 + i * 3
  if redis.call('ZADD', set, ARGV[a], ARGV[a + 1]) == 1 then redis.call('INCR', version) end
  redis.call('ZREMRANGEBYSCORE', set, '-inf', '(' .. ARGV[a + 2])
  redis.call('PEXPIRE', set, ttl)
  redis.call('PEXPIRE', version, ttl)
end
return #KEYS / 2
`;

type RecordReply = [string[][], ([string] | [string, string[]])[]];

interface ScriptedRedis extends Redis {
  // ioredis flattens an array argument: a batch's many arguments must not be spread into a call (stack).
  fraudstreamRecordFeatures(args: (string | number)[]): Promise<RecordReply>;
  fraudstreamRecordLabels(args: (string | number)[]): Promise<number>;
}

/** What this process holds of one card's or terminal's series, and for which span of time it is complete. */
interface CachedSeries {
  series: TimeSeries;
  /** Every entry Redis holds from this time on (inclusive) is in `series`… */
  fromMs: number;
  /** …up to this time (inclusive). Later entries are in `series` only if this process wrote them. */
  toMs: number;
  /** Event time of the key's last maintenance (trim and TTL) sent to Redis. */
  maintainedAtMs: number;
}

interface CachedLabels {
  /** The terminal's label events for transactions from `fromMs` on. */
  entries: LabelEntry[];
  /** The key's version counter when `entries` were read; undefined: read them again at the next use. */
  version: string | undefined;
  fromMs: number;
}

/** What one batch does with one card or terminal. */
interface BatchKey {
  id: string;
  keyIndex: number;
  minMs: number;
  maxMs: number;
  cached: CachedSeries | undefined;
}

/**
 * How often, in event time, a key is trimmed and its TTL renewed: the TTL is the longest span plus the
 * grace, so a key in use never gets closer than a day to expiring, and one that goes quiet disappears.
 */
const MAINTAIN_EVERY_MS = 86_400_000;
/** Batches waiting together are recorded in one call up to about this many transactions (Redis blocks during a call). */
const COALESCE_MAX = 10_000;
/** Cached cards and terminals are checked for staleness after this many transactions. */
const SWEEP_EVERY = 200_000;

function parseLabels(reply: string[]): LabelEntry[] {
  const entries: LabelEntry[] = new Array<LabelEntry>(reply.length / 2);
  for (let index = 0; index < reply.length; index += 2) {
    const member = reply[index]!;
    const fraudBar = member.lastIndexOf('|');
    const labeledBar = member.lastIndexOf('|', fraudBar - 1);
    entries[index / 2] = {
      transactionId: member.slice(0, labeledBar),
      transactionTimestampMs: Number(reply[index + 1]),
      labeledAtMs: Number(member.slice(labeledBar + 1, fraudBar)),
      fraud: member.slice(fraudBar + 1) === '1',
    };
  }
  return entries.sort(compareLabels);
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
 * So a batch costs Redis one write per transaction per key and few reads, in one Lua call.
 */
export function createRedisFeatureStore(options: RedisFeatureStoreOptions): FeatureStore {
  const ownsClient = 'url' in options;
  const client = (ownsClient ? new Redis(options.url, { lazyConnect: false }) : options.client) as ScriptedRedis;
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof client.fraudstreamRecordFeatures !== 'function') {
    client.defineCommand('fraudstreamRecordFeatures', { lua: RECORD_SCRIPT });
  }
  if (typeof client.fraudstreamRecordLabels !== 'function') {
    client.defineCommand('fraudstreamRecordLabels', { lua: RECORD_LABELS_SCRIPT });
  }
  const cardKey = (cardId: string): string => `${prefix}card:${cardId}`;
  const terminalKey = (terminalId: string): string => `${prefix}term:${terminalId}`;
  const labelKey = (terminalId: string): string => `${prefix}label:${terminalId}`;
  const labelVersionKey = (terminalId: string): string => `${prefix}labels-version:${terminalId}`;
  const ttlMs = (spans: HistorySpans): number => spans.terminalMs + spans.graceMs;

  let cards = new Map<string, CachedSeries>();
  const terminals = new Map<string, CachedSeries>();
  const labels = new Map<string, CachedLabels>();
  let newestMs = -Infinity;
  let sinceSweep = 0;
  let closed: Promise<void> | undefined;

  function sweep(spans: HistorySpans): void {
    const stale = ({ series }: CachedSeries, keepFromMs: number): boolean =>
      series.end === series.start || series.timestampsMs[series.end - 1]! < keepFromMs;
    for (const [id, cached] of cards) if (stale(cached, newestMs - spans.cardMs - spans.graceMs)) cards.delete(id);
    for (const [id, cached] of terminals) {
      if (stale(cached, newestMs - spans.terminalMs - spans.graceMs)) {
        terminals.delete(id);
        labels.delete(id);
      }
    }
  }

  async function recordBatch(transactions: readonly TransactionRecord[], spans: HistorySpans, recordedBeforeMs: number): Promise<BatchHistories> {
    // A rebalance during the call replaces `cards`; this batch keeps the map it started with.
    const cardMap = cards;
    const keys: string[] = [];
    const writes: (string | number)[] = [];
    const batchCards = new Map<string, BatchKey>();
    const batchTerminals = new Map<string, BatchKey>();
    const cardOf: BatchKey[] = new Array<BatchKey>(transactions.length);
    const terminalOf: BatchKey[] = new Array<BatchKey>(transactions.length);
    const batchKey = (batch: Map<string, BatchKey>, cache: Map<string, CachedSeries>, id: string, key: (id: string) => string, t: number): BatchKey => {
      let entry = batch.get(id);
      if (entry === undefined) {
        entry = { id, keyIndex: keys.push(key(id)), minMs: t, maxMs: t, cached: cache.get(id) };
        batch.set(id, entry);
      } else if (t < entry.minMs) entry.minMs = t;
      else if (t > entry.maxMs) entry.maxMs = t;
      return entry;
    };
    for (let index = 0; index < transactions.length; index++) {
      const tx = transactions[index]!;
      const card = (cardOf[index] = batchKey(batchCards, cardMap, tx.cardId, cardKey, tx.timestampMs));
      const terminal = (terminalOf[index] = batchKey(batchTerminals, terminals, tx.terminalId, terminalKey, tx.timestampMs));
      writes.push(card.keyIndex, tx.timestampMs, `${tx.transactionId}|${centsOf(tx.amount)}`, terminal.keyIndex, tx.timestampMs, tx.transactionId);
    }

    const maintenance: (string | number)[] = [];
    const maintained: BatchKey[] = [];
    const reads: (string | number)[] = [];
    const readSpans: Array<{ entry: BatchKey; withAmounts: boolean; fromMs: number; toMs: number }> = [];
    const labelSets: (string | number)[] = [];
    const labelTerminals: Array<{ id: string; fromMs: number }> = [];
    const maintain = (entry: BatchKey, keepFromMs: number): void => {
      if (entry.cached !== undefined && entry.maxMs - entry.cached.maintainedAtMs < MAINTAIN_EVERY_MS) return;
      maintenance.push(entry.keyIndex, keepFromMs);
      maintained.push(entry);
    };
    const read = (entry: BatchKey, withAmounts: boolean, fromMs: number, toMs: number, min: string, max: string): void => {
      reads.push(entry.keyIndex, min, max);
      readSpans.push({ entry, withAmounts, fromMs, toMs });
    };

    for (const entry of batchCards.values()) {
      const needFromMs = entry.minMs - spans.cardMs;
      maintain(entry, entry.minMs - spans.cardMs - spans.graceMs);
      const { cached } = entry;
      if (cached === undefined) read(entry, true, needFromMs, Infinity, String(needFromMs), '+inf');
      else if (needFromMs < cached.fromMs) read(entry, true, needFromMs, cached.toMs, String(needFromMs), `(${cached.fromMs}`);
    }
    for (const entry of batchTerminals.values()) {
      const needFromMs = entry.minMs - spans.terminalMs;
      // Guaranteed recorded: up to t − lag for every t of the batch; further when the caller says so.
      const needToMs = entry.maxMs - spans.terminalLagMs;
      const readToMs = Math.max(needToMs, recordedBeforeMs - 1);
      maintain(entry, entry.minMs - spans.terminalMs - spans.graceMs);
      const { cached } = entry;
      if (cached === undefined) read(entry, false, needFromMs, readToMs, String(needFromMs), String(readToMs));
      else {
        if (needToMs > cached.toMs) read(entry, false, cached.fromMs, readToMs, `(${cached.toMs}`, String(readToMs));
        if (needFromMs < cached.fromMs) read(entry, false, needFromMs, cached.toMs, String(needFromMs), `(${cached.fromMs}`);
      }
      const cachedLabels = labels.get(entry.id);
      const current = cachedLabels !== undefined && cachedLabels.fromMs <= needFromMs;
      const fromMs = current ? cachedLabels.fromMs : needFromMs;
      labelSets.push(keys.push(labelKey(entry.id)), keys.push(labelVersionKey(entry.id)), (current && cachedLabels.version) || '', fromMs);
      labelTerminals.push({ id: entry.id, fromMs });
    }

    const args: (string | number)[] = [keys.length, ...keys, ttlMs(spans)];
    for (const [section, width] of [[writes, 3], [maintenance, 2], [reads, 3], [labelSets, 4]] as const) {
      args.push(section.length / width);
      for (const value of section) args.push(value);
    }
    const [readReplies, labelReplies] = await client.fraudstreamRecordFeatures(args);

    // Only now, with the reply in hand, does the cache change: a failed call leaves it as it was.
    readReplies.forEach((reply, index) => {
      const { entry, withAmounts, fromMs, toMs } = readSpans[index]!;
      let cached = entry.cached;
      if (cached === undefined) {
        cached = entry.cached = { series: emptySeries(), fromMs, toMs, maintainedAtMs: -Infinity };
        (withAmounts ? cardMap : terminals).set(entry.id, cached);
      }
      for (let at = 0; at < reply.length; at += 2) {
        const member = reply[at]!;
        const timestampMs = Number(reply[at + 1]);
        if (withAmounts) {
          const bar = member.lastIndexOf('|');
          insertEntry(cached.series, timestampMs, member.slice(0, bar), Number(member.slice(bar + 1)), true, fromMs);
        } else {
          insertEntry(cached.series, timestampMs, member, 0, false, fromMs);
        }
      }
      cached.fromMs = Math.min(cached.fromMs, fromMs);
      cached.toMs = Math.max(cached.toMs, toMs);
    });
    for (const entry of maintained) entry.cached!.maintainedAtMs = Math.max(entry.cached!.maintainedAtMs, entry.maxMs);
    labelReplies.forEach(([version, entries], index) => {
      if (entries === undefined) return;
      const { id, fromMs } = labelTerminals[index]!;
      labels.set(id, { entries: parseLabels(entries), version, fromMs });
    });

    sinceSweep += transactions.length;
    const histories = emptyHistories(transactions.length);
    for (let index = 0; index < transactions.length; index++) {
      const tx = transactions[index]!;
      const t = tx.timestampMs;
      if (t > newestMs) newestMs = t;
      const card = cardOf[index]!.cached!;
      const terminal = terminalOf[index]!.cached!;
      const cardKeepFromMs = t - spans.cardMs - spans.graceMs;
      const terminalKeepFromMs = t - spans.terminalMs - spans.graceMs;
      insertEntry(card.series, t, tx.transactionId, centsOf(tx.amount), true, cardKeepFromMs);
      insertEntry(terminal.series, t, tx.transactionId, 0, false, terminalKeepFromMs);
      // Whatever the arrays dropped is older than these bounds, and all from them on is still there.
      if (cardKeepFromMs > card.fromMs) card.fromMs = cardKeepFromMs;
      if (terminalKeepFromMs > terminal.fromMs) terminal.fromMs = terminalKeepFromMs;
      histories.cards[index] = card.series;
      histories.terminals[index] = terminal.series;
      histories.terminalLabels[index] = labels.get(tx.terminalId)!.entries;
    }
    if (sinceSweep >= SWEEP_EVERY) {
      sinceSweep = 0;
      sweep(spans);
    }
    return histories;
  }

  // Batches run one at a time, each relying on what the ones before it read. Those that arrive while
  // one runs (other partitions' batches) are recorded together in the next call: one Lua call for them
  // all keeps Redis' round trips off each batch's latency.
  interface Waiting {
    transactions: readonly TransactionRecord[];
    spans: HistorySpans;
    recordedBeforeMs: number;
    resolve: (histories: BatchHistories) => void;
    reject: (err: unknown) => void;
  }
  let waiting: Waiting[] = [];
  let running = false;
  /** Takes the waiting batches recorded in one call: same spans, about COALESCE_MAX transactions at most. */
  const nextGroup = (): Waiting[] => {
    const spans = waiting[0]!.spans;
    const group: Waiting[] = [];
    let size = 0;
    waiting = waiting.filter((entry) => {
      if (entry.spans !== spans || (group.length > 0 && size + entry.transactions.length > COALESCE_MAX)) return true;
      group.push(entry);
      size += entry.transactions.length;
      return false;
    });
    return group;
  };
  async function drain(): Promise<void> {
    running = true;
    while (waiting.length > 0) {
      const group = nextGroup();
      const spans = group[0]!.spans;
      const transactions = group.length === 1 ? group[0]!.transactions : group.flatMap((entry) => entry.transactions);
      const recordedBeforeMs = Math.min(...group.map((entry) => entry.recordedBeforeMs));
      try {
        const histories = await recordBatch(transactions, spans, recordedBeforeMs);
        let offset = 0;
        for (const entry of group) {
          const end = offset + entry.transactions.length;
          entry.resolve({
            cards: histories.cards.slice(offset, end),
            terminals: histories.terminals.slice(offset, end),
            terminalLabels: histories.terminalLabels.slice(offset, end),
          });
          offset += entry.transactions.length;
        }
      } catch (err) {
        for (const entry of group) entry.reject(err);
      }
    }
    running = false;
  }

  return {
    record(transactions: readonly TransactionRecord[], spans: HistorySpans, options: RecordOptions = {}): Promise<BatchHistories> {
      if (transactions.length === 0) return Promise.resolve(emptyHistories(0));
      return new Promise<BatchHistories>((resolve, reject) => {
        waiting.push({ transactions, spans, recordedBeforeMs: options.recordedBeforeMs ?? -Infinity, resolve, reject });
        if (!running) void drain();
      });
    },

    async recordLabels(records: readonly LabelRecord[], spans: HistorySpans): Promise<void> {
      if (records.length === 0) return;
      const keys: string[] = [];
      const args: (string | number)[] = [ttlMs(spans)];
      for (const label of records) {
        keys.push(labelKey(label.terminalId), labelVersionKey(label.terminalId));
        args.push(
          label.transactionTimestampMs,
          `${label.transactionId}|${String(label.labeledAtMs).padStart(15, '0')}|${label.fraud ? 1 : 0}`,
          // Trimmed relative to the labelled transaction's time: an analyst's labeledAt may be wall-clock
          // time far ahead of a simulated stream's event time.
          label.transactionTimestampMs - spans.terminalMs - spans.graceMs,
        );
      }
      await client.fraudstreamRecordLabels([keys.length, ...keys, ...args]);
      // Read back at the terminal's next use: the version tells whether anyone else added one meanwhile.
      for (const label of records) {
        const cached = labels.get(label.terminalId);
        if (cached !== undefined) cached.version = undefined;
      }
    },

    forgetCards(): void {
      cards = new Map();
    },

    close(): Promise<void> {
      closed ??= ownsClient ? client.quit().then(() => undefined) : Promise.resolve();
      cards.clear();
      terminals.clear();
      labels.clear();
      return closed;
    },
  };
}
