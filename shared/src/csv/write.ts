import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { FraudstreamError } from '../errors.js';
import { HANDBOOK_HEADER } from './columns.js';
import { RowEncoder } from './encode.js';
import type { HandbookRecord } from './rows.js';

export interface HandbookCsvWriter {
  /** Queues a row; returns a promise only when the output is behind (await it then), else undefined. */
  write(record: HandbookRecord): Promise<void> | undefined;
  /** Writes what is buffered; ends the output when the writer opened it (a stream passed in stays open). */
  close(): Promise<void>;
  /** Rows written so far. */
  readonly rows: number;
}

/**
 * Writes a Handbook CSV (header first) to a file path or a stream, encoding rows into large buffers.
 * `write` returns a promise only when the stream asks to wait (backpressure); await it when it does.
 */
export function createHandbookCsvWriter(target: string | Writable, { bufferBytes = 1 << 20 } = {}): HandbookCsvWriter {
  const output = typeof target === 'string' ? createWriteStream(target) : target;
  const encoder = new RowEncoder(Math.max(bufferBytes, 4096));
  encoder.length = encoder.buffer.write(`${HANDBOOK_HEADER}\n`, 'latin1');
  const flushAt = encoder.capacity >> 1;
  let rows = 0;
  let closed = false;

  const flush = (): Promise<void> | undefined => {
    if (encoder.length === 0) return undefined;
    const ok = output.write(encoder.take());
    return ok ? undefined : once(output, 'drain').then(() => undefined);
  };

  return {
    write(record) {
      if (closed) throw new FraudstreamError('CSV_INVALID', 'write after close on a Handbook CSV writer');
      // Room for the longest row: numbers and date take < 64 bytes, text up to 3 bytes a character.
      const room = 64 + 3 * (record.transactionId.length + record.cardId.length + record.terminalId.length);
      if (room > encoder.capacity) throw new FraudstreamError('CSV_INVALID', `row of ${record.transactionId.slice(0, 40)} is too long to write`);
      const waitBefore = encoder.capacity - encoder.length < room ? flush() : undefined;
      encoder.row(record);
      rows++;
      return waitBefore ?? (encoder.length >= flushAt ? flush() : undefined);
    },
    async close() {
      if (closed) return;
      closed = true;
      await flush();
      if (typeof target === 'string') {
        await new Promise<void>((resolve, reject) => {
          output.once('error', reject);
          output.end(() => resolve());
        });
      }
    },
    get rows() {
      return rows;
    },
  };
}
