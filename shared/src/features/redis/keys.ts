import { compareLabels, type LabelEntry, type LabelRecord } from '../store.js';

export const DEFAULT_KEY_PREFIX = 'fraudstream:features:';

/**
 * The store's keys below a prefix (sorted sets, score = transaction time in ms, so ZRANGEBYSCORE
 * reads a time window):
 *   card:<cardId>             member "<transactionId>|<amount in cents>"
 *   term:<terminalId>         member "<transactionId>"
 *   label:<terminalId>        member "<transactionId>|<labeledAtMs, 15 digits>|<0|1>"
 *   labels-version:<terminal> a counter raised whenever label:<terminal> gains a member
 * ZADD of an existing member changes nothing, which is what makes redelivery harmless.
 *
 * On a Redis Cluster the id is a hash tag, `card:{<cardId>}`, `term:{<terminalId>}`, …: a terminal's
 * three keys share a slot (its label set and counter are changed together in one script), and a batch
 * is split into one script call per slot. A single Redis keeps the untagged names, so the data of a
 * running deployment stays where it is.
 */
export interface FeatureKeys {
  card(cardId: string): string;
  terminal(terminalId: string): string;
  labels(terminalId: string): string;
  labelsVersion(terminalId: string): string;
}

export interface FeatureKeyOptions {
  /** Wrap each id in `{…}` (Redis Cluster). */
  hashTags?: boolean;
}

export function featureKeys(prefix: string, { hashTags = false }: FeatureKeyOptions = {}): FeatureKeys {
  const id = hashTags ? (value: string) => `{${value}}` : (value: string) => value;
  return {
    card: (cardId) => `${prefix}card:${id(cardId)}`,
    terminal: (terminalId) => `${prefix}term:${id(terminalId)}`,
    labels: (terminalId) => `${prefix}label:${id(terminalId)}`,
    labelsVersion: (terminalId) => `${prefix}labels-version:${id(terminalId)}`,
  };
}

/** A card set's member: the transaction and its amount, so a replica reads a card's history in one call. */
export const cardMember = (transactionId: string, cents: number): string => `${transactionId}|${cents}`;

export function parseCardMember(member: string): { transactionId: string; cents: number } {
  const bar = member.lastIndexOf('|');
  return { transactionId: member.slice(0, bar), cents: Number(member.slice(bar + 1)) };
}

/** A label set's member; labeledAtMs is padded so that members of one transaction sort by it. */
export const labelMember = (label: Pick<LabelRecord, 'transactionId' | 'labeledAtMs' | 'fraud'>): string =>
  `${label.transactionId}|${String(label.labeledAtMs).padStart(15, '0')}|${label.fraud ? 1 : 0}`;

/** A label set read WITHSCORES (member, score, member, …) as entries in the store's order. */
export function parseLabels(reply: readonly string[]): LabelEntry[] {
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
