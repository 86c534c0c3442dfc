import { SCHEMA_VERSION, type Label, type Transaction } from '@fraudstream/shared';

/** The chargeback for a fraudulent transaction, known `delayMs` after it in event time. */
export function chargebackFor(transaction: Transaction, delayMs: number): Label {
  return {
    schemaVersion: SCHEMA_VERSION,
    transactionId: transaction.transactionId,
    cardId: transaction.cardId,
    terminalId: transaction.terminalId,
    transactionTimestamp: transaction.timestamp,
    fraud: true,
    source: 'chargeback',
    labeledAt: new Date(Date.parse(transaction.timestamp) + delayMs).toISOString(),
  };
}

interface PendingLabel {
  dueMs: number;
  label: Label;
}

/**
 * Labels waiting for their time, earliest first (ties by transaction id). A binary heap: a day of
 * simulated history holds ~80 frauds a day for a week, a replayed file can hold many more.
 */
export class LabelQueue {
  private readonly heap: PendingLabel[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(label: Label): void {
    this.heap.push({ dueMs: Date.parse(label.labeledAt), label });
    let index = this.heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(index, parent)) break;
      this.swap(index, parent);
      index = parent;
    }
  }

  /** Event time (ms) of the earliest pending label, or undefined. */
  peekDueMs(): number | undefined {
    return this.heap[0]?.dueMs;
  }

  /** Removes and returns the earliest pending label. */
  shift(): Label | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top === undefined || last === undefined) return undefined;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let index = 0;
      for (;;) {
        const left = index * 2 + 1;
        const right = left + 1;
        let smallest = index;
        if (left < this.heap.length && this.before(left, smallest)) smallest = left;
        if (right < this.heap.length && this.before(right, smallest)) smallest = right;
        if (smallest === index) break;
        this.swap(index, smallest);
        index = smallest;
      }
    }
    return top.label;
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a] as PendingLabel;
    const y = this.heap[b] as PendingLabel;
    return x.dueMs < y.dueMs || (x.dueMs === y.dueMs && x.label.transactionId < y.label.transactionId);
  }

  private swap(a: number, b: number): void {
    const x = this.heap[a] as PendingLabel;
    this.heap[a] = this.heap[b] as PendingLabel;
    this.heap[b] = x;
  }
}

export interface PacingOptions {
  /** Transactions per wall second at most; 0 = no cap. */
  rate: number;
  /** Simulated milliseconds per wall millisecond (= simulated seconds per wall second); undefined = unpaced. */
  speed?: number;
  /** Events before this event time are history: sent at once, unpaced (backfill). */
  liveFromMs: number;
}

/**
 * When each event may go out, in wall time. History (before `liveFromMs`) goes at once. Live, a
 * simulated clock runs at `speed` from the first live event and an event waits for the clock to
 * reach its event time; transactions also wait for a slot of the rate cap. When the cap holds the
 * stream back, the clock is held back with it (re-anchored), so event time never runs ahead of what
 * was sent, and labels (which do not count towards the rate) never overtake their transactions.
 */
export class Pacer {
  private anchorWallMs = Number.NaN;
  private anchorEventMs = Number.NaN;
  private nextSlotMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: PacingOptions) {}

  /** Wall time (same clock as `nowMs`) at which an event at `eventMs` may be sent; 0 = at once. */
  sendAt(eventMs: number, isTransaction: boolean, nowMs: number): number {
    const { rate, speed, liveFromMs } = this.options;
    if (eventMs < liveFromMs) return 0;
    if (Number.isNaN(this.anchorWallMs)) {
      this.anchorWallMs = nowMs;
      this.anchorEventMs = eventMs;
      this.nextSlotMs = nowMs;
    }
    const clockAt = speed === undefined ? Number.NEGATIVE_INFINITY : this.anchorWallMs + (eventMs - this.anchorEventMs) / speed;
    let at = clockAt;
    if (isTransaction && rate > 0) {
      // A stream held up (slow broker) may catch up, but by one second's worth at most.
      const slot = Math.max(this.nextSlotMs, nowMs - 1_000);
      at = Math.max(at, slot);
      this.nextSlotMs = Math.max(at, slot) + 1_000 / rate;
    }
    if (speed !== undefined && at > clockAt) {
      this.anchorWallMs = at;
      this.anchorEventMs = eventMs;
    }
    return Number.isFinite(at) ? at : 0;
  }
}
