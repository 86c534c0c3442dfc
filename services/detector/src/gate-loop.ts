import { setTimeout as sleep } from 'node:timers/promises';
import type { EventTimeGate } from './event-time-gate.js';
import type { PartitionProgress } from './progress.js';
import { eventTimesOf, type DecodedMessage } from './scoring.js';

/** A leading run of a batch's messages the gate lets through. */
export interface AdmittedChunk {
  chunk: DecodedMessage[];
  /** What is left of the batch after the chunk. */
  rest: DecodedMessage[];
  /** Every transaction of another partition, and of this one after the chunk, before this time is recorded. */
  recordedBeforeMs: number;
  /** The partition's event time once the chunk is recorded: that of its next message. */
  nextEventTimeMs: number;
}

export interface GateLoopOptions {
  gate: Pick<EventTimeGate, 'admissible' | 'recordedBeforeMs'>;
  partition: number;
  fetchedAtMs: number;
  /** How long the batch waits for the gate before handing back to the fetch loop. */
  holdMs: number;
  isRunning(): boolean;
  isStale(): boolean;
  heartbeat(): Promise<void>;
  /** The gate started holding the batch back: where the partition is, for the other replicas. */
  onHold(progress: PartitionProgress): Promise<void>;
  /** Scores and commits a chunk; the loop goes on with the rest when this resolves. */
  onAdmitted(admitted: AdmittedChunk): Promise<void>;
  now?: () => number;
  /** Between two looks at the gate while it holds. */
  pause?: () => Promise<unknown>;
}

/**
 * Takes a batch through the event-time gate: each admissible leading chunk is handed on in turn,
 * while the consumer runs and the batch is not stale. 'held' when the gate held the rest back for
 * `holdMs` (the batch is fetched again later), 'done' otherwise.
 */
export async function runGateLoop(batch: DecodedMessage[], options: GateLoopOptions): Promise<'held' | 'done'> {
  const { gate, partition, fetchedAtMs, holdMs, now = Date.now, pause = () => sleep(5) } = options;
  let pending = batch;
  let heldSinceMs: number | undefined;
  while (pending.length > 0 && options.isRunning() && !options.isStale()) {
    const times = eventTimesOf(pending);
    const count = await gate.admissible(times, partition, fetchedAtMs);
    if (count === 0) {
      const nowMs = now();
      if (heldSinceMs === undefined) {
        heldSinceMs = nowMs;
        // Tell the other replicas how far this partition is, so nobody waits on a stale figure.
        await options.onHold({ nextOffset: Number(pending[0]?.message.offset ?? 0), eventTimeMs: times[0] ?? Number.NEGATIVE_INFINITY });
      }
      if (nowMs - heldSinceMs >= holdMs) return 'held';
      await pause();
      await options.heartbeat();
      continue;
    }
    heldSinceMs = undefined;
    const chunk = pending.slice(0, count);
    const rest = pending.slice(count);
    const lastEventTimeMs = times[count - 1] ?? Number.NEGATIVE_INFINITY;
    await options.onAdmitted({
      chunk,
      rest,
      // This partition's own later events (after the chunk) are not recorded yet either.
      recordedBeforeMs: Math.min(gate.recordedBeforeMs(partition), lastEventTimeMs),
      nextEventTimeMs: (rest.length > 0 ? eventTimesOf(rest)[0] : lastEventTimeMs) ?? Number.NEGATIVE_INFINITY,
    });
    pending = rest;
    await options.heartbeat();
  }
  return 'done';
}
