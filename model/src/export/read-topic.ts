import { randomBytes } from 'node:crypto';
import { FraudstreamError, type Kafka, type KafkaMessage, type Logger } from '@fraudstream/shared';

/** The offsets to read in one partition: [start, end). */
export interface PartitionRange {
  partition: number;
  start: string;
  end: string;
}

/**
 * Per partition, the first offset whose record timestamp is at or after `sinceMs`, up to the end of
 * the partition as it is now. Messages produced after this call are not part of the range.
 */
export async function rangesSince(kafka: Kafka, topic: string, sinceMs: number): Promise<PartitionRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const starts = await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs);
    const ends = await admin.fetchTopicOffsets(topic);
    return starts
      .map(({ partition, offset }) => {
        const end = ends.find((candidate) => candidate.partition === partition)?.high ?? offset;
        // A partition emptied by retention reports a start beyond its (old) end: nothing to read.
        return { partition, start: offset, end: BigInt(offset) > BigInt(end) ? offset : end };
      })
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

export const messagesIn = (ranges: readonly PartitionRange[]): bigint =>
  ranges.reduce((sum, range) => sum + BigInt(range.end) - BigInt(range.start), 0n);

export interface ReadRangesOptions {
  kafka: Kafka;
  topic: string;
  ranges: readonly PartitionRange[];
  log: Logger;
  /** Called with every committed message inside the ranges, partition by partition in offset order. */
  onMessage: (message: KafkaMessage, partition: number) => void;
  /** Called after each batch with the number of offsets consumed so far (control records included). */
  onProgress?: (consumedOffsets: bigint) => void;
  /** Give up when no partition advances for this long (e.g. a transaction left open on the topic). */
  idleTimeoutMs?: number;
  /** The throwaway group's id (default: a fresh random one). */
  groupId?: string;
}

export interface ReadSummary {
  messages: number;
  /** Partitions that did not reach their end before the idle timeout. */
  incomplete: number[];
}

/**
 * Reads exactly the given offset ranges of one topic, read committed, with a throwaway consumer
 * group whose start offsets are set by the admin client before the consumer joins; the group is
 * deleted afterwards. Committed offsets of every other group are untouched.
 */
export async function readRanges({
  kafka,
  topic,
  ranges,
  log,
  onMessage,
  onProgress,
  idleTimeoutMs = 30_000,
  groupId = `fraudstream-export-${randomBytes(6).toString('hex')}`,
}: ReadRangesOptions): Promise<ReadSummary> {
  const pending = new Map(ranges.filter((range) => BigInt(range.start) < BigInt(range.end)).map((range) => [range.partition, range]));
  const summary: ReadSummary = { messages: 0, incomplete: [] };
  if (pending.size === 0) return summary;

  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId, readUncommitted: false, allowAutoTopicCreation: false });
  const position = new Map(ranges.map((range) => [range.partition, BigInt(range.start)]));
  let consumed = 0n;
  let lastProgressAt = Date.now();
  let crash: Error | undefined;
  let joined = false;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const advance = (partition: number, lastOffset: string): void => {
    const range = pending.get(partition);
    const before = position.get(partition);
    if (!range || before === undefined) return;
    const next = BigInt(lastOffset) + 1n;
    if (next <= before) return;
    const end = BigInt(range.end);
    const reached = next < end ? next : end;
    consumed += reached - before;
    position.set(partition, reached);
    lastProgressAt = Date.now();
    onProgress?.(consumed);
    if (reached >= end) {
      pending.delete(partition);
      if (pending.size === 0) finish();
    }
  };

  try {
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [...pending.values()].map(({ partition, start }) => ({ partition, offset: start })),
    });
    await consumer.connect();
    // Batches of only control records (transaction markers) or aborted messages never reach
    // eachBatch, but they move the position: this event reports them too.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === topic) advance(payload.partition, payload.lastOffset);
    });
    // kafkajs restarts a consumer after a retriable error; after any other it stops for good, and an
    // export that went on would write a partial file as if the topic ended there.
    // The idle clock starts when the group is joined: on a loaded machine the join alone has taken
    // longer than an idle timeout, and the export then wrote nothing and called it done.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
      lastProgressAt = Date.now();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      crash = payload.error;
      finish();
    });
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = pending.get(batch.partition);
        if (!range) return;
        const end = BigInt(range.end);
        for (const message of batch.messages) {
          if (BigInt(message.offset) >= end) break;
          onMessage(message, batch.partition);
          summary.messages += 1;
        }
      },
    });
    const idle = setInterval(() => {
      if (!joined && Date.now() - lastProgressAt > Math.max(2 * idleTimeoutMs, 60_000)) {
        crash ??= new Error(`the export's consumer did not join its group within ${Math.max(2 * idleTimeoutMs, 60_000) / 1000} s`);
        finish();
      } else if (joined && Date.now() - lastProgressAt > idleTimeoutMs) finish();
    }, 1_000);
    await finished;
    clearInterval(idle);
    if (crash) {
      throw new FraudstreamError('KAFKA_UNAVAILABLE', `reading ${topic} failed (${crash.name}: ${crash.message}); nothing was exported`, { cause: crash });
    }
    summary.incomplete = [...pending.keys()].sort((a, b) => a - b);
    if (summary.incomplete.length > 0) {
      log.warn({ topic, partitions: summary.incomplete, idleTimeoutMs }, 'partitions stopped advancing before their end; exporting what was read');
    }
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch((err: unknown) => log.debug({ err, groupId }, 'could not delete the export group'));
    await admin.disconnect();
  }
  return summary;
}
