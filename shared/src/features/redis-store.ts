import { Redis } from 'ioredis';
import { dropBefore, dropLabelsBefore, emptySeries, insertEntry } from './series.js';
import {
  centsOf,
  compareLabels,
  type FeatureStore,
  type HistorySpans,
  type LabelEntry,
  type LabelRecord,
  type TimeSeries,
  type TransactionHistory,
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
 *
 * Redis is the shared truth; each process keeps what it has read or written in memory and asks Redis
 * only for what it cannot know (see `createRedisFeatureStore`), so a batch costs Redis about one write
 * per key and one small read per transaction, not a scan of every window.
 */

// One call per batch. ARGV: ttl, then five sections, each a count followed by its entries; keys are
// named by their index in KEYS.
//   writes      key, score, member          ZADD (PEXPIRE once per key, after the section)
//   trims       key, max score (exclusive)  ZREMRANGEBYSCORE
//   reads       key, min, max               ZRANGEBYSCORE … WITHSCORES (min/max may start with "(")
//   label sets  label key, version key, version known here, min
//               the label set from min on, WITHSCORES, when the version differs from the one known here
// Writes go first, so a read returns this batch's own entries too. Returns {reads, {version, entries?}…}.
const RECORD_SCRIPT = `
local ttl = ARGV[1]
local a = 2
local expire = {}
local n = tonumber(ARGV[a]); a = a + 1
for i = 1, n do
  local key = KEYS[tonumber(ARGV[a])]
  redis.call('ZADD', key, ARGV[a + 1], ARGV[a + 2])
  expire[key] = true
  a = a + 3
end
for key in pairs(expire) do redis.call('PEXPIRE', key, ttl) end
n = tonumber(ARGV[a]); a = a + 1
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[tonumber(ARGV[a])], '-inf', '(' .. ARGV[a + 1])
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
  fraudstreamRecordFeatures(...args: (string | number)[]): Promise<RecordReply>;
  fraudstreamRecordLabels(...args: (string | number)[]): Promise<number>;
}

/** What this process holds of one card's or terminal's series, and for which span of time it is complete. */
interface CachedSeries {
  series: TimeSeries;
  /** Every entry Redis holds from this time on (inclusive) is in `series`… */
  fromMs: number;
  /** …up to this time (inclusive). Later entries are in `series` only if this process wrote them. */
  toMs: number;
  /** Event time of the last trim of the key sent to Redis. */
  trimmedAtMs: number;
}

interface CachedLabels {
  /** The terminal's label events for transactions from `fromMs` on. */
  entries: LabelEntry[];
  /** The key's version counter when `entries` were read; undefined: read them again at the next use. */
  version: string | undefined;
  fromMs: number;
}

/** How often, in event time, a key is trimmed in Redis (its TTL removes keys that go quiet). */
const TRIM_EVERY_MS = 86_400_000;
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

/** Arguments of one RECORD_SCRIPT call: every key once, sections in order. */
class ScriptCall {
  readonly keys: string[] = [];
  private readonly keyIndex = new Map<string, number>();
  readonly writes: (string | number)[] = [];
  readonly trims: (string | number)[] = [];
  readonly reads: (string | number)[] = [];
  readonly labelSets: (string | number)[] = [];

  key(name: string): number {
    let index = this.keyIndex.get(name);
    if (index === undefined) {
      index = this.keys.push(name);
      this.keyIndex.set(name, index);
    }
    return index;
  }

  args(ttlMs: number): (string | number)[] {
    const sections = [this.writes, this.trims, this.reads, this.labelSets];
    const widths = [3, 2, 3, 4];
    const args: (string | number)[] = [this.keys.length, ...this.keys, ttlMs];
    sections.forEach((section, index) => {
      args.push(section.length / widths[index]!);
      for (const value of section) args.push(value);
    });
    return args;
  }
}

/**
 * The feature store in Redis, shared by detector replicas. Redis holds every card's and terminal's
 * history and every terminal's labels; this process keeps in memory what it has read or written, and
 * reads from Redis only what another process may have written since:
 * - a card's history is read once, at its first use: only the replica that owns the card's partition
 *   writes it. `forgetCards()` (called on every rebalance, when partitions change owner) drops them.
 * - a terminal's transactions are written by every replica, but the engine reads them only up to
 *   t − terminalLagMs, and the caller guarantees (the detector's event-time gate) that every
 *   transaction up to there has been recorded before t is: each terminal is read once for the span it
 *   lacks, and what it has read stays complete.
 * - a terminal's labels carry a version counter: they are read again when it has moved.
 * Every batch is one Lua call. Entries older than the longest span plus the grace are trimmed (about
 * once a day of event time per key), and keys carry a TTL of that length, so what goes quiet disappears.
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
    const stale = (cached: CachedSeries, keepFromMs: number): boolean =>
      cached.series.end === cached.series.start || cached.series.timestampsMs[cached.series.end - 1]! < keepFromMs;
    for (const [id, cached] of cards) if (stale(cached, newestMs - spans.cardMs - spans.graceMs)) cards.delete(id);
    for (const [id, cached] of terminals) {
      if (stale(cached, newestMs - spans.terminalMs - spans.graceMs)) {
        terminals.delete(id);
        labels.delete(id);
      }
    }
  }

  /** Time bounds a batch needs per card or terminal. */
  function boundsBy(transactions: readonly TransactionRecord[], idOf: (tx: TransactionRecord) => string): Map<string, { minMs: number; maxMs: number }> {
    const bounds = new Map<string, { minMs: number; maxMs: number }>();
    for (const tx of transactions) {
      const id = idOf(tx);
      const entry = bounds.get(id);
      if (entry === undefined) bounds.set(id, { minMs: tx.timestampMs, maxMs: tx.timestampMs });
      else {
        if (tx.timestampMs < entry.minMs) entry.minMs = tx.timestampMs;
        if (tx.timestampMs > entry.maxMs) entry.maxMs = tx.timestampMs;
      }
    }
    return bounds;
  }

  interface Read {
    /** Where the entries go: the card or terminal, and the span they make complete. */
    kind: 'card' | 'terminal';
    id: string;
    fromMs: number;
    toMs: number;
  }

  async function recordBatch(transactions: readonly TransactionRecord[], spans: HistorySpans): Promise<TransactionHistory[]> {
    const cardMap = cards;
    const call = new ScriptCall();
    const reads: Read[] = [];
    const trimmed: Array<{ kind: 'card' | 'terminal'; id: string; atMs: number }> = [];
    const labelSets: string[] = [];
    const read = (read: Read, key: string, min: string, max: string): void => {
      call.reads.push(call.key(key), min, max);
      reads.push(read);
    };
    const trim = (kind: 'card' | 'terminal', id: string, key: string, maxMs: number, keepFromMs: number): void => {
      const cached = (kind === 'card' ? cardMap : terminals).get(id);
      if (cached !== undefined && maxMs - cached.trimmedAtMs < TRIM_EVERY_MS) return;
      call.trims.push(call.key(key), keepFromMs);
      trimmed.push({ kind, id, atMs: maxMs });
    };

    for (const [cardId, { minMs, maxMs }] of boundsBy(transactions, (tx) => tx.cardId)) {
      const key = cardKey(cardId);
      const needFromMs = minMs - spans.cardMs;
      const cached = cardMap.get(cardId);
      trim('card', cardId, key, maxMs, minMs - spans.cardMs - spans.graceMs);
      if (cached === undefined) read({ kind: 'card', id: cardId, fromMs: needFromMs, toMs: Infinity }, key, String(needFromMs), '+inf');
      else if (needFromMs < cached.fromMs) {
        read({ kind: 'card', id: cardId, fromMs: needFromMs, toMs: cached.toMs }, key, String(needFromMs), `(${cached.fromMs}`);
      }
    }

    for (const [terminalId, { minMs, maxMs }] of boundsBy(transactions, (tx) => tx.terminalId)) {
      const key = terminalKey(terminalId);
      const needFromMs = minMs - spans.terminalMs;
      const needToMs = maxMs - spans.terminalLagMs;
      const cached = terminals.get(terminalId);
      trim('terminal', terminalId, key, maxMs, minMs - spans.terminalMs - spans.graceMs);
      if (cached === undefined) {
        read({ kind: 'terminal', id: terminalId, fromMs: needFromMs, toMs: needToMs }, key, String(needFromMs), String(needToMs));
      } else {
        if (needToMs > cached.toMs) {
          read({ kind: 'terminal', id: terminalId, fromMs: cached.fromMs, toMs: needToMs }, key, `(${cached.toMs}`, String(needToMs));
        }
        if (needFromMs < cached.fromMs) {
          read({ kind: 'terminal', id: terminalId, fromMs: needFromMs, toMs: cached.toMs }, key, String(needFromMs), `(${cached.fromMs}`);
        }
      }
      const cachedLabels = labels.get(terminalId);
      const current = cachedLabels !== undefined && cachedLabels.fromMs <= needFromMs;
      const fromMs = current ? cachedLabels.fromMs : needFromMs;
      call.labelSets.push(call.key(labelKey(terminalId)), call.key(labelVersionKey(terminalId)), (current && cachedLabels.version) || '', fromMs);
      labelSets.push(terminalId);
    }

    for (const tx of transactions) {
      call.writes.push(call.key(cardKey(tx.cardId)), tx.timestampMs, `${tx.transactionId}|${centsOf(tx.amount)}`);
      call.writes.push(call.key(terminalKey(tx.terminalId)), tx.timestampMs, tx.transactionId);
    }

    const [readReplies, labelReplies] = await client.fraudstreamRecordFeatures(...call.args(ttlMs(spans)));

    // Only now, with the reply in hand, does the cache change: a failed call leaves it as it was.
    const cachedSeries = (kind: 'card' | 'terminal', id: string, fromMs: number, toMs: number): CachedSeries => {
      const map = kind === 'card' ? cardMap : terminals;
      let cached = map.get(id);
      if (cached === undefined) {
        cached = { series: emptySeries(), fromMs, toMs, trimmedAtMs: -Infinity };
        map.set(id, cached);
      }
      return cached;
    };
    readReplies.forEach((reply, index) => {
      const { kind, id, fromMs, toMs } = reads[index]!;
      const cached = cachedSeries(kind, id, fromMs, toMs);
      const withAmounts = kind === 'card';
      for (let entry = 0; entry < reply.length; entry += 2) {
        const member = reply[entry]!;
        const timestampMs = Number(reply[entry + 1]);
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
    for (const { kind, id, atMs } of trimmed) {
      const cached = (kind === 'card' ? cardMap : terminals).get(id);
      if (cached !== undefined) cached.trimmedAtMs = Math.max(cached.trimmedAtMs, atMs);
    }
    labelReplies.forEach(([version, entries], index) => {
      if (entries === undefined) return;
      const terminalId = labelSets[index]!;
      labels.set(terminalId, { entries: parseLabels(entries), version, fromMs: Number(call.labelSets[index * 4 + 3]) });
    });

    sinceSweep += transactions.length;
    const histories = new Array<TransactionHistory>(transactions.length);
    for (let index = 0; index < transactions.length; index++) {
      const tx = transactions[index]!;
      const t = tx.timestampMs;
      if (t > newestMs) newestMs = t;
      const card = cardMap.get(tx.cardId)!;
      const terminal = terminals.get(tx.terminalId)!;
      const cardKeepFromMs = t - spans.cardMs - spans.graceMs;
      const terminalKeepFromMs = t - spans.terminalMs - spans.graceMs;
      insertEntry(card.series, t, tx.transactionId, centsOf(tx.amount), true, cardKeepFromMs);
      insertEntry(terminal.series, t, tx.transactionId, 0, false, terminalKeepFromMs);
      // Whatever the arrays dropped is older than these bounds, and all from them on is still there.
      card.fromMs = Math.max(card.fromMs, cardKeepFromMs);
      terminal.fromMs = Math.max(terminal.fromMs, terminalKeepFromMs);
      histories[index] = { card: card.series, terminal: terminal.series, terminalLabels: labels.get(tx.terminalId)!.entries };
    }
    if (sinceSweep >= SWEEP_EVERY) {
      sinceSweep = 0;
      sweep(spans);
    }
    return histories;
  }

  // One batch at a time: each relies on what the previous one read into the cache.
  let queue: Promise<unknown> = Promise.resolve();

  return {
    record(transactions: readonly TransactionRecord[], spans: HistorySpans): Promise<TransactionHistory[]> {
      if (transactions.length === 0) return Promise.resolve([]);
      const result = queue.then(() => recordBatch(transactions, spans));
      queue = result.catch(() => {});
      return result;
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
      await client.fraudstreamRecordLabels(keys.length, ...keys, ...args);
      // Read back at the terminal's next use: the version tells whether anyone else added one meanwhile.
      for (const label of records) {
        const cached = labels.get(label.terminalId);
        if (cached !== undefined) cached.version = undefined;
      }
    },

    forgetCards(): void {
      // A batch in flight keeps the map it started with, so what it reads cannot reach the new one.
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
