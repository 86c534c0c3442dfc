import { NO_PROGRESS, type TopicProgress } from './progress.js';

/** The end offsets of a topic's partitions (read-committed), as a broker reports them now. */
export type EndOffsets = (topic: string) => Promise<Map<number, number>>;

export interface EventTimeGateOptions {
  labelsTopic: string;
  transactionsTopic: string;
  /** How far each label partition is applied (this replica reads every label partition itself). */
  labelProgress: () => TopicProgress;
  /** How far each transaction partition is recorded, by whichever replica owns it. */
  transactionProgress: () => Promise<TopicProgress>;
  endOffsets: EndOffsets;
  /** The terminal windows end this long before a transaction (the label delay d). */
  delayMs: number;
  now?: () => number;
}

export interface EventTimeGate {
  /**
   * How many of the leading events (event times, in partition order) may be scored now, given the
   * batch was fetched at `fetchedAtMs`: a transaction at time t needs every label with labeledAt ≤ t
   * applied and every transaction of another partition up to t − d recorded, as the offline engine has.
   */
  admissible(eventTimesMs: readonly number[], ownPartition: number, fetchedAtMs: number): Promise<number>;
  /**
   * As of the last `admissible` call, every transaction of another partition before this time is
   * recorded (each partition's progress is the time of its first event not yet recorded): the feature
   * store may read that far ahead.
   */
  recordedBeforeMs(ownPartition: number): number;
}

interface Probe {
  startedAtMs: number;
  result: Promise<{ labels: Map<number, number>; transactions: Map<number, number> }>;
}

/**
 * Parity gate between the live detector and the offline scorer. A partition counts as complete up to an
 * event time once a later event of it is recorded, or up to "now" once it is caught up with an end
 * offset read after the batch was fetched: whatever was produced before the transaction (a replay
 * sends labels and transactions in event-time order) is then taken in.
 */
export function createEventTimeGate(options: EventTimeGateOptions): EventTimeGate {
  const { labelsTopic, transactionsTopic, labelProgress, transactionProgress, endOffsets, delayMs, now = Date.now } = options;
  let latest: Probe | undefined;
  let lastTransactionProgress: { ends: Map<number, number>; progress: TopicProgress } | undefined;

  const probe = (notBeforeMs: number): Probe['result'] => {
    if (latest && latest.startedAtMs >= notBeforeMs) return latest.result;
    const startedAtMs = now();
    const result = Promise.all([endOffsets(labelsTopic), endOffsets(transactionsTopic)]).then(([labels, transactions]) => ({
      labels,
      transactions,
    }));
    const current: Probe = { startedAtMs, result };
    latest = current;
    result.catch(() => {
      if (latest === current) latest = undefined;
    });
    return result;
  };

  const bound = (
    ends: Map<number, number>,
    progress: TopicProgress,
    skip: number | undefined,
    slackMs: number,
    useEnds: boolean,
  ): number => {
    let limit = Number.POSITIVE_INFINITY;
    for (const [partition, end] of ends) {
      if (partition === skip) continue;
      const done = progress.get(partition) ?? NO_PROGRESS;
      if (useEnds && done.nextOffset >= end) continue;
      limit = Math.min(limit, done.eventTimeMs + slackMs);
    }
    return limit;
  };

  const countBelow = (times: readonly number[], labelLimit: number, transactionLimit: number): number => {
    const limit = Math.min(labelLimit, transactionLimit);
    let count = 0;
    while (count < times.length && (times[count] as number) < limit) count += 1;
    return count;
  };

  return {
    async admissible(times, ownPartition, fetchedAtMs) {
      if (times.length === 0) return 0;
      // Partitions come from the last probe; the first call has to make one.
      const known = await (latest?.result ?? probe(fetchedAtMs));
      const [labels, transactions] = [labelProgress(), await transactionProgress()];
      lastTransactionProgress = { ends: known.transactions, progress: transactions };
      const quick = countBelow(
        times,
        bound(known.labels, labels, undefined, 0, false),
        bound(known.transactions, transactions, ownPartition, delayMs, false),
      );
      if (quick === times.length) return quick;
      const ends = await probe(fetchedAtMs);
      const [labelsNow, transactionsNow] = [labelProgress(), await transactionProgress()];
      lastTransactionProgress = { ends: ends.transactions, progress: transactionsNow };
      return countBelow(
        times,
        bound(ends.labels, labelsNow, undefined, 0, true),
        bound(ends.transactions, transactionsNow, ownPartition, delayMs, true),
      );
    },
    recordedBeforeMs(ownPartition) {
      if (lastTransactionProgress === undefined) return Number.NEGATIVE_INFINITY;
      let before = Number.POSITIVE_INFINITY;
      for (const partition of lastTransactionProgress.ends.keys()) {
        if (partition === ownPartition) continue;
        before = Math.min(before, (lastTransactionProgress.progress.get(partition) ?? NO_PROGRESS).eventTimeMs);
      }
      return before;
    },
  };
}
