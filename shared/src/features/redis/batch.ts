import { DAY_MS } from '../../durations.js';
import { emptySeries, insertEntry } from '../series.js';
import { centsOf, emptyHistories, type BatchHistories, type HistorySpans, type TransactionRecord } from '../store.js';
import { sweepIfDue, type CachedSeries, type FeatureCache } from './cache.js';
import { cardMember, parseCardMember, parseLabels, type FeatureKeys } from './keys.js';
import type { RecordFeaturesReply, ScriptedRedis } from './scripts.js';
import { settleAll, splitBySlot, type ScriptSection, type SlotOf } from './slots.js';

/**
 * How often, in event time, a key is trimmed and its TTL renewed: the TTL is the longest span plus the
 * grace, so a key in use never gets closer than a day to expiring, and one that goes quiet disappears.
 */
const MAINTAIN_EVERY_MS = DAY_MS;

export const ttlMs = (spans: HistorySpans): number => spans.terminalMs + spans.graceMs;

/** What one batch does with one card or terminal. */
interface BatchKey {
  id: string;
  keyIndex: number;
  minMs: number;
  maxMs: number;
  cached: CachedSeries | undefined;
}

/** The batch's cards and terminals, each with its key's index among the script's KEYS, and the writes. */
interface BatchIndex {
  keys: string[];
  /** key index, score, member: the writes section of record-features.lua. */
  writes: (string | number)[];
  cards: Map<string, BatchKey>;
  terminals: Map<string, BatchKey>;
  cardOf: BatchKey[];
  terminalOf: BatchKey[];
}

/** What the script reads and maintains besides the writes, and what to do with its reply. */
interface BatchPlan {
  maintenance: (string | number)[];
  maintained: BatchKey[];
  reads: (string | number)[];
  readSpans: Array<{ entry: BatchKey; withAmounts: boolean; fromMs: number; toMs: number }>;
  labelSets: (string | number)[];
  labelTerminals: Array<{ id: string; fromMs: number }>;
}

function indexBatch(transactions: readonly TransactionRecord[], cardMap: Map<string, CachedSeries>, cache: FeatureCache, keys: FeatureKeys): BatchIndex {
  const index: BatchIndex = {
    keys: [],
    writes: [],
    cards: new Map(),
    terminals: new Map(),
    cardOf: new Array<BatchKey>(transactions.length),
    terminalOf: new Array<BatchKey>(transactions.length),
  };
  const batchKey = (batch: Map<string, BatchKey>, cached: Map<string, CachedSeries>, id: string, key: (id: string) => string, t: number): BatchKey => {
    let entry = batch.get(id);
    if (entry === undefined) {
      entry = { id, keyIndex: index.keys.push(key(id)), minMs: t, maxMs: t, cached: cached.get(id) };
      batch.set(id, entry);
    } else if (t < entry.minMs) entry.minMs = t;
    else if (t > entry.maxMs) entry.maxMs = t;
    return entry;
  };
  for (let at = 0; at < transactions.length; at++) {
    const tx = transactions[at]!;
    const card = (index.cardOf[at] = batchKey(index.cards, cardMap, tx.cardId, keys.card, tx.timestampMs));
    const terminal = (index.terminalOf[at] = batchKey(index.terminals, cache.terminals, tx.terminalId, keys.terminal, tx.timestampMs));
    index.writes.push(card.keyIndex, tx.timestampMs, cardMember(tx.transactionId, centsOf(tx.amount)), terminal.keyIndex, tx.timestampMs, tx.transactionId);
  }
  return index;
}

function maintain(plan: BatchPlan, entry: BatchKey, keepFromMs: number): void {
  if (entry.cached !== undefined && entry.maxMs - entry.cached.maintainedAtMs < MAINTAIN_EVERY_MS) return;
  plan.maintenance.push(entry.keyIndex, keepFromMs);
  plan.maintained.push(entry);
}

function read(plan: BatchPlan, entry: BatchKey, withAmounts: boolean, fromMs: number, toMs: number, min: string, max: string): void {
  plan.reads.push(entry.keyIndex, min, max);
  plan.readSpans.push({ entry, withAmounts, fromMs, toMs });
}

/** A card's history is read once, at its first use, and further back when a batch needs more. */
function planCard(plan: BatchPlan, entry: BatchKey, spans: HistorySpans): void {
  const needFromMs = entry.minMs - spans.cardMs;
  maintain(plan, entry, entry.minMs - spans.cardMs - spans.graceMs);
  const { cached } = entry;
  if (cached === undefined) read(plan, entry, true, needFromMs, Infinity, String(needFromMs), '+inf');
  else if (needFromMs < cached.fromMs) read(plan, entry, true, needFromMs, cached.toMs, String(needFromMs), `(${cached.fromMs}`);
}

/** A terminal is read for the span it lacks, and its labels unless their version is the one cached. */
function planTerminal(plan: BatchPlan, index: BatchIndex, entry: BatchKey, spans: HistorySpans, recordedBeforeMs: number, cache: FeatureCache, keys: FeatureKeys): void {
  const needFromMs = entry.minMs - spans.terminalMs;
  // Guaranteed recorded: up to t − lag for every t of the batch; further when the caller says so.
  const needToMs = entry.maxMs - spans.terminalLagMs;
  const readToMs = Math.max(needToMs, recordedBeforeMs - 1);
  maintain(plan, entry, entry.minMs - spans.terminalMs - spans.graceMs);
  const { cached } = entry;
  if (cached === undefined) read(plan, entry, false, needFromMs, readToMs, String(needFromMs), String(readToMs));
  else {
    if (needToMs > cached.toMs) read(plan, entry, false, cached.fromMs, readToMs, `(${cached.toMs}`, String(readToMs));
    if (needFromMs < cached.fromMs) read(plan, entry, false, needFromMs, cached.toMs, String(needFromMs), `(${cached.fromMs}`);
  }
  const cachedLabels = cache.labels.get(entry.id);
  const current = cachedLabels !== undefined && cachedLabels.fromMs <= needFromMs;
  const fromMs = current ? cachedLabels.fromMs : needFromMs;
  plan.labelSets.push(index.keys.push(keys.labels(entry.id)), index.keys.push(keys.labelsVersion(entry.id)), (current && cachedLabels.version) || '', fromMs);
  plan.labelTerminals.push({ id: entry.id, fromMs });
}

function planBatch(index: BatchIndex, spans: HistorySpans, recordedBeforeMs: number, cache: FeatureCache, keys: FeatureKeys): BatchPlan {
  const plan: BatchPlan = { maintenance: [], maintained: [], reads: [], readSpans: [], labelSets: [], labelTerminals: [] };
  for (const entry of index.cards.values()) planCard(plan, entry, spans);
  for (const entry of index.terminals.values()) planTerminal(plan, index, entry, spans, recordedBeforeMs, cache, keys);
  return plan;
}

/** The script's four sections (see record-features.lua): writes, maintenance, reads, label sets. */
function scriptSections(index: BatchIndex, plan: BatchPlan): ScriptSection[] {
  return [
    { entries: index.writes, width: 3, keyColumns: 1 },
    { entries: plan.maintenance, width: 2, keyColumns: 1 },
    { entries: plan.reads, width: 3, keyColumns: 1 },
    { entries: plan.labelSets, width: 4, keyColumns: 2 },
  ];
}

/** record-features.lua's arguments: the key count, the keys, the TTL, then each section's count and entries. */
function scriptArguments(keys: readonly string[], sections: readonly ScriptSection[], spans: HistorySpans): (string | number)[] {
  const args: (string | number)[] = [keys.length, ...keys, ttlMs(spans)];
  for (const { entries, width } of sections) {
    args.push(entries.length / width);
    for (const value of entries) args.push(value);
  }
  return args;
}

/**
 * Runs the batch's script: in one call, or on a Redis Cluster in one call per slot (all at once), the
 * replies put back in the batch's order of reads and label sets.
 */
async function runScript(client: ScriptedRedis, index: BatchIndex, plan: BatchPlan, spans: HistorySpans, slotOf: SlotOf | undefined): Promise<RecordFeaturesReply> {
  const sections = scriptSections(index, plan);
  if (slotOf === undefined) return client.fraudstreamRecordFeatures(scriptArguments(index.keys, sections, spans));
  const calls = splitBySlot(index.keys, sections, slotOf);
  const replies = await settleAll(calls.map((call) => client.fraudstreamRecordFeatures(scriptArguments(call.keys, call.sections, spans))));
  const reads = new Array<string[]>(plan.readSpans.length);
  const labels = new Array<RecordFeaturesReply[1][number]>(plan.labelTerminals.length);
  calls.forEach(({ origins: [, , readOrigins, labelOrigins] }, call) => {
    const [readReplies, labelReplies] = replies[call]!;
    readOrigins!.forEach((ordinal, at) => (reads[ordinal] = readReplies[at]!));
    labelOrigins!.forEach((ordinal, at) => (labels[ordinal] = labelReplies[at]!));
  });
  return [reads, labels];
}

/** Puts what the script read into the cache. */
function applyReads(readReplies: string[][], plan: BatchPlan, cardMap: Map<string, CachedSeries>, cache: FeatureCache): void {
  readReplies.forEach((reply, at) => {
    const { entry, withAmounts, fromMs, toMs } = plan.readSpans[at]!;
    let cached = entry.cached;
    if (cached === undefined) {
      cached = entry.cached = { series: emptySeries(), fromMs, toMs, maintainedAtMs: -Infinity };
      (withAmounts ? cardMap : cache.terminals).set(entry.id, cached);
    }
    for (let member = 0; member < reply.length; member += 2) {
      const timestampMs = Number(reply[member + 1]);
      if (withAmounts) {
        const { transactionId, cents } = parseCardMember(reply[member]!);
        insertEntry(cached.series, timestampMs, transactionId, cents, true, fromMs);
      } else {
        insertEntry(cached.series, timestampMs, reply[member]!, 0, false, fromMs);
      }
    }
    cached.fromMs = Math.min(cached.fromMs, fromMs);
    cached.toMs = Math.max(cached.toMs, toMs);
  });
}

/** Adds the batch's own transactions to the cached series and hands each its histories. */
function appendBatch(transactions: readonly TransactionRecord[], index: BatchIndex, spans: HistorySpans, cache: FeatureCache): BatchHistories {
  const histories = emptyHistories(transactions.length);
  for (let at = 0; at < transactions.length; at++) {
    const tx = transactions[at]!;
    const t = tx.timestampMs;
    if (t > cache.newestMs) cache.newestMs = t;
    const card = index.cardOf[at]!.cached!;
    const terminal = index.terminalOf[at]!.cached!;
    const cardKeepFromMs = t - spans.cardMs - spans.graceMs;
    const terminalKeepFromMs = t - spans.terminalMs - spans.graceMs;
    insertEntry(card.series, t, tx.transactionId, centsOf(tx.amount), true, cardKeepFromMs);
    insertEntry(terminal.series, t, tx.transactionId, 0, false, terminalKeepFromMs);
    // Whatever the arrays dropped is older than these bounds, and all from them on is still there.
    if (cardKeepFromMs > card.fromMs) card.fromMs = cardKeepFromMs;
    if (terminalKeepFromMs > terminal.fromMs) terminal.fromMs = terminalKeepFromMs;
    histories.cards[at] = card.series;
    histories.terminals[at] = terminal.series;
    histories.terminalLabels[at] = cache.labels.get(tx.terminalId)!.entries;
  }
  return histories;
}

/**
 * Records one batch in one call of record-features.lua (one per slot on a Redis Cluster: `slotOf`),
 * which also reads what the cache lacks, and returns each transaction's histories (see
 * createRedisFeatureStore for what is read when).
 */
export async function recordBatch(
  client: ScriptedRedis,
  keys: FeatureKeys,
  cache: FeatureCache,
  transactions: readonly TransactionRecord[],
  spans: HistorySpans,
  recordedBeforeMs: number,
  slotOf?: SlotOf,
): Promise<BatchHistories> {
  // A rebalance during the call replaces `cache.cards`; this batch keeps the map it started with.
  const cardMap = cache.cards;
  const index = indexBatch(transactions, cardMap, cache, keys);
  const plan = planBatch(index, spans, recordedBeforeMs, cache, keys);
  const [readReplies, labelReplies] = await runScript(client, index, plan, spans, slotOf);

  // Only now, with the reply in hand, does the cache change: a failed call leaves it as it was.
  applyReads(readReplies, plan, cardMap, cache);
  for (const entry of plan.maintained) entry.cached!.maintainedAtMs = Math.max(entry.cached!.maintainedAtMs, entry.maxMs);
  labelReplies.forEach(([version, entries], at) => {
    if (entries === undefined) return;
    const { id, fromMs } = plan.labelTerminals[at]!;
    cache.labels.set(id, { entries: parseLabels(entries), version, fromMs });
  });

  cache.sinceSweep += transactions.length;
  const histories = appendBatch(transactions, index, spans, cache);
  sweepIfDue(cache, spans);
  return histories;
}
