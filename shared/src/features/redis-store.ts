import { Redis } from 'ioredis';
import {
  centsOf,
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
 * Keys (sorted sets, score = transaction time in ms, so ZRANGEBYSCORE reads a time window and members
 * with equal scores come back in transaction id order, as the engine's window order wants):
 *   card:<cardId>       member "<transactionId>|<amount in cents>"
 *   term:<terminalId>   member "<transactionId>"
 *   label:<terminalId>  member "<transactionId>|<labeledAtMs, 15 digits>|<0|1>"
 * ZADD of an existing member changes nothing, which is what makes redelivery harmless.
 */

// One round trip per batch: writes every transaction first, then reads each one's history.
// KEYS: card, terminal, label key per transaction. ARGV: ttlMs, then per transaction
// timestamp, member, card window start, terminal window start, card trim bound, terminal trim bound.
const RECORD_SCRIPT = `
local ttl = ARGV[1]
local n = #KEYS / 3
for i = 0, n - 1 do
  local a = 2 + i * 7
  local ts, id, cents = ARGV[a], ARGV[a + 1], ARGV[a + 2]
  local card, term = KEYS[i * 3 + 1], KEYS[i * 3 + 2]
  redis.call('ZADD', card, ts, id .. '|' .. cents)
  redis.call('ZREMRANGEBYSCORE', card, '-inf', '(' .. ARGV[a + 5])
  redis.call('PEXPIRE', card, ttl)
  redis.call('ZADD', term, ts, id)
  redis.call('ZREMRANGEBYSCORE', term, '-inf', '(' .. ARGV[a + 6])
  redis.call('PEXPIRE', term, ttl)
end
local out = {}
for i = 0, n - 1 do
  local a = 2 + i * 7
  local ts = ARGV[a]
  out[i + 1] = {
    redis.call('ZRANGEBYSCORE', KEYS[i * 3 + 1], ARGV[a + 3], ts, 'WITHSCORES'),
    redis.call('ZRANGEBYSCORE', KEYS[i * 3 + 2], ARGV[a + 4], ts, 'WITHSCORES'),
    redis.call('ZRANGEBYSCORE', KEYS[i * 3 + 3], ARGV[a + 4], ts, 'WITHSCORES'),
  }
end
return out
`;

type RecordReply = [string[], string[], string[]][];

interface ScriptedRedis extends Redis {
  fraudstreamRecordFeatures(...args: (string | number)[]): Promise<RecordReply>;
}

function parseSeries(reply: string[], withAmounts: boolean): TimeSeries {
  const length = reply.length / 2;
  const series: TimeSeries = {
    start: 0,
    end: length,
    timestampsMs: new Float64Array(length),
    transactionIds: new Array<string>(length),
    amountsCents: new Float64Array(withAmounts ? length : 0),
  };
  for (let index = 0; index < length; index++) {
    const member = reply[index * 2]!;
    series.timestampsMs[index] = Number(reply[index * 2 + 1]);
    if (withAmounts) {
      const bar = member.lastIndexOf('|');
      series.transactionIds[index] = member.slice(0, bar);
      series.amountsCents[index] = Number(member.slice(bar + 1));
    } else {
      series.transactionIds[index] = member;
    }
  }
  return series;
}

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
  return entries;
}

/**
 * The feature store in Redis, shared by detector replicas. Every batch is one Lua call (transactions)
 * or one pipeline (labels). Entries older than the longest span plus the grace are trimmed on write,
 * and keys carry a TTL of that length, so a card or terminal that goes quiet disappears.
 */
export function createRedisFeatureStore(options: RedisFeatureStoreOptions): FeatureStore {
  const ownsClient = 'url' in options;
  const client = (ownsClient ? new Redis(options.url, { lazyConnect: false }) : options.client) as ScriptedRedis;
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof client.fraudstreamRecordFeatures !== 'function') {
    client.defineCommand('fraudstreamRecordFeatures', { lua: RECORD_SCRIPT });
  }
  const cardKey = (cardId: string): string => `${prefix}card:${cardId}`;
  const terminalKey = (terminalId: string): string => `${prefix}term:${terminalId}`;
  const labelKey = (terminalId: string): string => `${prefix}label:${terminalId}`;
  const ttlMs = (spans: HistorySpans): number => spans.terminalMs + spans.graceMs;
  let closed: Promise<void> | undefined;

  return {
    async record(transactions: readonly TransactionRecord[], spans: HistorySpans): Promise<TransactionHistory[]> {
      if (transactions.length === 0) return [];
      const keys: string[] = [];
      const args: (string | number)[] = [ttlMs(spans)];
      for (const tx of transactions) {
        keys.push(cardKey(tx.cardId), terminalKey(tx.terminalId), labelKey(tx.terminalId));
        const t = tx.timestampMs;
        args.push(
          t,
          tx.transactionId,
          centsOf(tx.amount),
          t - spans.cardMs,
          t - spans.terminalMs,
          t - spans.cardMs - spans.graceMs,
          t - spans.terminalMs - spans.graceMs,
        );
      }
      const reply = await client.fraudstreamRecordFeatures(keys.length, ...keys, ...args);
      return reply.map(([card, terminal, labels]) => ({
        card: parseSeries(card, true),
        terminal: parseSeries(terminal, false),
        terminalLabels: parseLabels(labels),
      }));
    },

    async recordLabels(labels: readonly LabelRecord[], spans: HistorySpans): Promise<void> {
      if (labels.length === 0) return;
      const pipeline = client.pipeline();
      for (const label of labels) {
        const key = labelKey(label.terminalId);
        const member = `${label.transactionId}|${String(label.labeledAtMs).padStart(15, '0')}|${label.fraud ? 1 : 0}`;
        pipeline.zadd(key, label.transactionTimestampMs, member);
        // Trimmed relative to the labelled transaction's time: an analyst's labeledAt may be wall-clock
        // time far ahead of a simulated stream's event time.
        pipeline.zremrangebyscore(key, '-inf', `(${label.transactionTimestampMs - spans.terminalMs - spans.graceMs}`);
        pipeline.pexpire(key, ttlMs(spans));
      }
      const results = await pipeline.exec();
      const failure = results?.find(([err]) => err !== null)?.[0];
      if (failure) throw failure;
    },

    close(): Promise<void> {
      closed ??= ownsClient ? client.quit().then(() => undefined) : Promise.resolve();
      return closed;
    },
  };
}
