import { deadLetterFor, SECOND_MS } from '@fraudstream/shared';
import type { TopicProgress } from './progress.js';
import type { DecodedMessage } from './scoring.js';

/**
 * Keeps one bad timestamp from moving a partition's event time. A transaction dated years ahead of its
 * partition would otherwise trim its card's and terminal's history to nothing (the stores keep a window
 * behind the newest event) and tell the event-time gate that the partition is done up to that date.
 *
 * An event is admitted when it is at most `maxAheadMs` ahead of the newest event admitted on its
 * partition, plus the wall-clock time since that one: event time may jump by the bound at once, and may
 * move on as fast as the clock while a partition is quiet (a real-time stream after a night, or a
 * weekend, without payments). Events behind the newest (late ones) are always admitted. The wall clock
 * itself is no bound: a simulated stream runs ahead of it (450 simulated seconds a second by default).
 * The caller seeds a partition before its first event: with its recorded event time, or, where nothing
 * is recorded, with a robust guess such as `referenceFor`.
 */
export interface EventTimeGuard {
  /** Whether the partition has a reference time (seeded, or an event admitted since the last `reset`). */
  knows(partition: number): boolean;
  /** The reference of a partition taken over from another replica: its recorded event time. */
  seed(partition: number, eventTimeMs: number, wallMs: number): void;
  /** Whether the event may be scored; an admitted event ahead of the reference becomes the reference. */
  admit(partition: number, eventTimeMs: number, wallMs: number): boolean;
  /** How far ahead of the partition's reference an event may be at this wall time. */
  limitMs(partition: number, wallMs: number): number;
  /** Forget a partition (its writer is new: the partition may have moved on elsewhere since). */
  forget(partition: number): void;
  /** Forget every partition (a rebalance: partitions may have moved on elsewhere). */
  reset(): void;
}

interface Reference {
  eventTimeMs: number;
  wallMs: number;
}

export function createEventTimeGuard({ maxAheadMs }: { maxAheadMs: number }): EventTimeGuard {
  const references = new Map<number, Reference>();
  const limitMs = (partition: number, wallMs: number): number => {
    const reference = references.get(partition);
    if (!reference || !Number.isFinite(reference.eventTimeMs)) return Number.POSITIVE_INFINITY;
    return reference.eventTimeMs + maxAheadMs + Math.max(0, wallMs - reference.wallMs);
  };
  return {
    knows: (partition) => references.has(partition),
    seed(partition, eventTimeMs, wallMs) {
      const known = references.get(partition);
      if (!known || eventTimeMs > known.eventTimeMs) references.set(partition, { eventTimeMs, wallMs });
    },
    admit(partition, eventTimeMs, wallMs) {
      if (eventTimeMs > limitMs(partition, wallMs)) return false;
      const reference = references.get(partition);
      if (!reference || !(eventTimeMs <= reference.eventTimeMs)) references.set(partition, { eventTimeMs, wallMs });
      return true;
    },
    limitMs,
    forget: (partition) => void references.delete(partition),
    reset: () => references.clear(),
  };
}

/** How many of a batch's first events it takes to raise a recorded reference (fewer could all be one bad clock). */
export const BATCH_SAMPLE = 5;
/** The batch's first messages, where its first events are looked for (the start of the batch, not a day into it). */
const FIRST_MESSAGES = 4 * BATCH_SAMPLE;

/**
 * The reference of a partition taken on, from what is recorded of it and its batch's first events.
 * What is recorded (the partition's own event time, else the stream's: partitions move together in
 * event time) is a lower bound only: it was published at some earlier offset, and a replica killed
 * between its commit and its publish leaves it behind. The lower median of the first events, which
 * one outlier cannot move far, raises it when there are at least `BATCH_SAMPLE` of them, and stands in
 * for it when nothing is recorded. Negative infinity when there is nothing to go by.
 */
export function referenceFor(recordedMs: readonly number[], firstEventsMs: readonly number[]): number {
  const recorded = Math.max(Number.NEGATIVE_INFINITY, ...recordedMs.filter(Number.isFinite));
  const events = [...firstEventsMs].filter(Number.isFinite).sort((a, b) => a - b);
  const median = events.length === 0 ? Number.NEGATIVE_INFINITY : (events[Math.floor((events.length - 1) / 2)] as number);
  if (!Number.isFinite(recorded)) return median;
  return events.length >= BATCH_SAMPLE ? Math.max(recorded, median) : recorded;
}

/** The reference of a partition this replica takes on: its recorded event time, else the others', raised by its batch (`referenceFor`). */
export function takeOverReference(recorded: TopicProgress, partition: number, decoded: readonly DecodedMessage[]): number {
  const own = recorded.get(partition)?.eventTimeMs;
  const recordedMs = own !== undefined && Number.isFinite(own) ? [own] : [...recorded.values()].map((progress) => progress.eventTimeMs);
  return referenceFor(
    recordedMs,
    decoded.slice(0, FIRST_MESSAGES).flatMap((entry) => ('eventTimeMs' in entry ? [entry.eventTimeMs] : [])),
  );
}

export interface RejectAheadOptions {
  maxAheadMs: number;
  /** Told of each transaction turned into a dead letter, with the latest time its partition admitted. */
  onRejected: (entry: Extract<DecodedMessage, { transaction: unknown }>, limit: string) => void;
  now?: () => number;
}

/** A seeded partition's batch with every transaction too far ahead of its event time made a dead letter (code EVENT_TIME_AHEAD). */
export function rejectAhead(guard: EventTimeGuard, partition: number, decoded: readonly DecodedMessage[], options: RejectAheadOptions): DecodedMessage[] {
  const { maxAheadMs, onRejected, now = Date.now } = options;
  return decoded.map((entry) => {
    if (!('transaction' in entry)) return entry;
    const wallMs = now();
    if (guard.admit(partition, entry.eventTimeMs, wallMs)) return entry;
    const limit = new Date(guard.limitMs(partition, wallMs)).toISOString();
    onRejected(entry, limit);
    return {
      message: entry.message,
      deadLetter: deadLetterFor(entry.message, {
        code: 'EVENT_TIME_AHEAD',
        path: 'timestamp',
        message: `${entry.transaction.timestamp} is more than ${maxAheadMs / SECOND_MS} s ahead of the partition's event time (at most ${limit} now)`,
      }),
    };
  });
}
