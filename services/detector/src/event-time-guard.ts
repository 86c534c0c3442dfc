/**
 * Keeps one bad timestamp from moving a partition's event time. A transaction dated years ahead of its
 * partition would otherwise trim its card's and terminal's history to nothing (the stores keep a window
 * behind the newest event) and tell the event-time gate that the partition is done up to that date.
 *
 * An event is admitted when it is at most `maxAheadMs` ahead of the newest event admitted on its
 * partition, plus the wall-clock time since that one: event time may jump by the bound at once, and may
 * move on as fast as the clock while a partition is quiet (a real-time stream after a night, or a
 * weekend, without payments). A partition with no history yet takes events up to `maxAheadMs` ahead of
 * the wall clock. Events behind the newest (late ones) are always admitted.
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
    if (!reference || !Number.isFinite(reference.eventTimeMs)) return wallMs + maxAheadMs;
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
    reset: () => references.clear(),
  };
}
