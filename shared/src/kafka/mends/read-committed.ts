/**
 * Mends kafkajs 2.2.4's read-committed filter before kafkajs loads (install.ts applies it).
 *
 * A fetch response lists the aborted transactions that overlap the fetched range, by first offset.
 * kafkajs starts ignoring an aborted producer when a message's offset reaches that transaction's first
 * offset, but it takes at most one transaction per message: when a fetch starts after several aborted
 * transactions began (the next fetch after a batch boundary, a restart from a committed offset), the
 * messages of all but the first leak to a read-committed consumer. With one transactional producer per
 * input partition writing to shared output partitions, the detector's aborted transactions interleave
 * exactly like that. kafkajs is unmaintained, so the fix lives here: every aborted transaction that has
 * begun by a message's offset applies to it.
 */
import { prepareModuleSwap, type KafkajsModules } from './internals.js';

interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string | number; inTransaction: boolean };
}

interface AbortedTransaction {
  firstOffset: string;
  producerId: string | number;
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

export function filterAbortedMessages({
  messages,
  abortedTransactions,
}: {
  messages: FetchedMessage[];
  abortedTransactions?: AbortedTransaction[];
}): FetchedMessage[] {
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;
  const pending = [...abortedTransactions].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : 1));
  const aborting = new Set<string>();
  return messages.filter((message) => {
    const offset = BigInt(message.offset);
    while (pending.length > 0 && offset >= BigInt(pending[0]!.firstOffset)) aborting.add(String(pending.shift()!.producerId));
    const producerId = String(message.batchContext.producerId);
    if (message.isControlRecord && message.key !== null && Buffer.from(message.key).equals(ABORT_MARKER_KEY)) {
      // The abort marker ends that producer's aborted transaction.
      aborting.delete(producerId);
      return true;
    }
    return !(message.batchContext.inTransaction && aborting.has(producerId));
  });
}

/** Checks kafkajs' internals for this mend and returns the step that applies it. */
export function prepareReadCommitted(modules: KafkajsModules): () => void {
  return prepareModuleSwap(modules, {
    mend: 'readCommitted',
    title: 'read-committed',
    path: 'src/consumer/filterAbortedMessages.js',
    requiredBy: 'src/consumer/batch.js',
    replacement: () => filterAbortedMessages,
  });
}
