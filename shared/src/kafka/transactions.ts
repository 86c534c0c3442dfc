/**
 * Runs `begin` (a transaction's first request to its coordinator) until it no longer meets
 * CONCURRENT_TRANSACTIONS: the broker answers that while it still writes the markers of the same
 * producer's previous transaction, which takes a few milliseconds after a commit. kafkajs retries it
 * for AddPartitionsToTxn only, with a growing backoff, and not at all for AddOffsetsToTxn (a batch
 * with offsets and no output then failed and was consumed again). Retried every `everyMs`, as the
 * Java client does, for at most `forMs`; any other error is thrown at once.
 */
export function whileTransactionsConcurrent<T>(begin: () => Promise<T>, everyMs = 5, forMs = 5_000): Promise<T> {
  return retryingWhile('CONCURRENT_TRANSACTIONS', begin, everyMs, forMs);
}

/**
 * Runs `read` (a stable offset read, `readingStableOffsets`) until the broker no longer answers
 * UNSTABLE_OFFSET_COMMIT: a transaction's offsets for the partition are pending until its markers are
 * written, or until the transaction is aborted (at the latest when it times out).
 */
export function whileOffsetsUnstable<T>(read: () => Promise<T>, everyMs = 20, forMs = 120_000): Promise<T> {
  return retryingWhile('UNSTABLE_OFFSET_COMMIT', read, everyMs, forMs);
}

async function retryingWhile<T>(type: string, attempt: () => Promise<T>, everyMs: number, forMs: number): Promise<T> {
  const giveUpAt = Date.now() + forMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if ((err as { type?: string }).type !== type || Date.now() >= giveUpAt) throw err;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
