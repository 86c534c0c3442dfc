import { createReadStream } from 'node:fs';
import { FraudstreamError } from '../errors.js';
import { HANDBOOK_REQUIRED_COLUMNS, columnsOf } from './columns.js';
import { createRowParser, type RowParser } from './parse.js';
import type { BadCsvRow, HandbookRow } from './rows.js';

export interface ReadHandbookCsvOptions {
  /** Called for every row that cannot be read; the row is skipped and reading goes on. */
  onBadRow?: (bad: BadCsvRow) => void;
  /** Bytes read at a time; each chunk of the file becomes one yielded array of rows. */
  chunkBytes?: number;
}

/**
 * Reads a Handbook CSV, yielding the rows of each chunk of the file in file order. A header without
 * the required columns throws FraudstreamError CSV_INVALID naming them; a bad row goes to `onBadRow`
 * with its line number and is skipped. Empty lines are skipped silently; CRLF line endings are fine.
 * Amounts come back in cents (`12.3456` is read as 12.35), as the events require.
 */
export async function* readHandbookCsv(path: string, options: ReadHandbookCsvOptions = {}): AsyncGenerator<HandbookRow[]> {
  const { onBadRow, chunkBytes = 1 << 18 } = options;
  const stream = createReadStream(path, { highWaterMark: chunkBytes });
  let parseRow: RowParser | undefined;
  let lineNumber = 0;
  let carry = '';

  const parseLines = (text: string, until: number, rows: HandbookRow[]): void => {
    let start = 0;
    while (start < until) {
      let newline = text.indexOf('\n', start);
      if (newline === -1 || newline > until) newline = until;
      const end = newline > start && text.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      const lineStart = start;
      start = newline + 1;
      lineNumber++;
      if (parseRow === undefined) {
        const header = text.slice(lineStart, end);
        parseRow = createRowParser(columnsOf(path, lineNumber === 1 && header.charCodeAt(0) === 0xfeff ? header.slice(1) : header));
        continue;
      }
      if (end === lineStart) continue;
      const row = parseRow(text, lineStart, end, lineNumber);
      if (typeof row === 'string') onBadRow?.({ line: lineNumber, reason: row, text: text.slice(lineStart, end) });
      else rows.push(row);
    }
  };

  try {
    for await (const chunk of stream) {
      // latin1 maps bytes to chars one to one (fast); any non-ASCII byte only lands in a bad field.
      const text = carry + (chunk as Buffer).toString('latin1');
      const lastNewline = text.lastIndexOf('\n');
      if (lastNewline === -1) {
        carry = text;
        continue;
      }
      carry = text.slice(lastNewline + 1);
      const rows: HandbookRow[] = [];
      parseLines(text, lastNewline, rows);
      if (rows.length > 0) yield rows;
    }
    const rows: HandbookRow[] = [];
    if (carry.length > 0) parseLines(carry, carry.length, rows);
    if (parseRow === undefined) {
      throw new FraudstreamError('CSV_INVALID', `${path}: the file is empty (expected a header with ${HANDBOOK_REQUIRED_COLUMNS.join(',')})`);
    }
    if (rows.length > 0) yield rows;
  } finally {
    stream.destroy();
  }
}
