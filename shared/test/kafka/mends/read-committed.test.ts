import { describe, expect, it } from 'vitest';
import { filterAbortedMessages } from '../../../src/kafka/mends/read-committed.js';

const fetched = (offset: number, producerId: number, inTransaction: boolean, abortMarker = false) => ({
  offset: String(offset),
  key: abortMarker ? Buffer.from([0, 0, 0, 0]) : Buffer.from(`k${offset}`),
  isControlRecord: abortMarker,
  batchContext: { producerId: String(producerId), inTransaction },
});

describe('read-committed filter (kafkajs mended)', () => {
  it('ignores every aborted transaction that began before the fetch, not only the first', () => {
    // Fetch from offset 3: three aborted transactions began at 0, 1 and 2; producer 7 committed.
    const messages = [fetched(3, 3, true), fetched(4, 1, true, true), fetched(5, 2, true, true), fetched(6, 3, true, true), fetched(7, 7, false), fetched(8, 3, true)];
    const aborted = [
      { firstOffset: '1', producerId: '2' },
      { firstOffset: '0', producerId: '1' },
      { firstOffset: '2', producerId: '3' },
    ];
    const kept = filterAbortedMessages({ messages, abortedTransactions: aborted }).map((message) => message.offset);
    // The markers stay (kafkajs drops control records next); producer 3's message after its abort is a new transaction.
    expect(kept).toEqual(['4', '5', '6', '7', '8']);
  });

  it('keeps everything when no transaction was aborted', () => {
    const messages = [fetched(0, 1, true), fetched(1, 2, false)];
    expect(filterAbortedMessages({ messages, abortedTransactions: [] })).toBe(messages);
  });
});
