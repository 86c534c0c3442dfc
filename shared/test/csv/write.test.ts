import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HANDBOOK_HEADER } from '../../src/csv/columns.js';
import { createHandbookCsvWriter } from '../../src/csv/write.js';
import { fileWith, readAll, sampleRecord as record } from '../support/csv-files.js';

describe('createHandbookCsvWriter', () => {
  it('writes a file that reads back to the same rows', async () => {
    const path = fileWith('');
    const writer = createHandbookCsvWriter(path, { bufferBytes: 4096 });
    const records = Array.from({ length: 100 }, (_, n) => ({ ...record, transactionId: String(n).padStart(12, '0'), timestampMs: record.timestampMs + n * 61_000 }));
    for (const item of records) await writer.write(item);
    await writer.close();
    expect(writer.rows).toBe(100);
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(HANDBOOK_HEADER);
    const rows = await readAll(path);
    expect(rows.map(({ line: _line, ...rest }) => rest)).toEqual(records);
  });

  it('writes to a stream it does not own', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const writer = createHandbookCsvWriter(stream);
    await writer.write(record);
    await writer.close();
    expect(chunks.join('')).toBe(`${HANDBOOK_HEADER}\n42,2018-09-30 23:59:07,17,9,1234.50,1,3\n`);
    expect(stream.writableEnded).toBe(false);
  });

  it('refuses a write after close', async () => {
    const writer = createHandbookCsvWriter(new PassThrough());
    await writer.close();
    expect(() => writer.write(record)).toThrow(/write after close/);
  });
});
