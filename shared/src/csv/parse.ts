import { cardIdFor, terminalIdFor, transactionIdFor } from '../ids.js';
import type { ColumnPositions } from './columns.js';
import { CHAR_0, DayStarts, MINUS, digitsAt, parseCents, parseDatetime } from './fields.js';
import type { HandbookRow } from './rows.js';

/** Parses one data line, from `start` to `end` of a chunk's text: the row, or why it is not one. */
export type RowParser = (text: string, start: number, end: number, line: number) => HandbookRow | string;

/**
 * Parses data lines in place (by offsets into the chunk's text, without slicing every field): a
 * 1.75 M-row file makes little garbage beyond the rows themselves. Card and terminal ids repeat, so
 * their strings are made once.
 */
export function createRowParser(columns: ColumnPositions): RowParser {
  const starts = new Int32Array(columns.count);
  const ends = new Int32Array(columns.count);
  const days = new DayStarts();
  // Ids are small numbers: an array indexed by the number holds each id string once.
  const cardIds: string[] = [];
  const terminalIds: string[] = [];

  const idOf = (cache: string[], make: (id: string) => string, text: string, start: number, end: number): string | undefined => {
    const value = digitsAt(text, start, end);
    if (value < 0) return undefined;
    // Leading zeros would not round-trip through the numeric index; huge ids would make a sparse array.
    if ((text.charCodeAt(start) === CHAR_0 && end - start > 1) || value > 10_000_000) return make(text.slice(start, end));
    let id = cache[value];
    if (id === undefined) {
      id = make(text.slice(start, end));
      cache[value] = id;
    }
    return id;
  };

  const field = (text: string, index: number): string => JSON.stringify(text.slice(starts[index], ends[index]));

  return (text, start, end, line) => {
    let count = 0;
    let fieldStart = start;
    for (;;) {
      let comma = text.indexOf(',', fieldStart);
      if (comma === -1 || comma > end) comma = end;
      if (count < columns.count) {
        starts[count] = fieldStart;
        ends[count] = comma;
      }
      count++;
      if (comma === end) break;
      fieldStart = comma + 1;
    }
    if (count !== columns.count) return `expected ${columns.count} fields, got ${count}`;

    const idStart = starts[columns.id] as number;
    const idEnd = ends[columns.id] as number;
    if (digitsAt(text, idStart, idEnd) < 0) return `TRANSACTION_ID: expected a non-negative integer, got ${field(text, columns.id)}`;
    const timestampMs = parseDatetime(days, text, starts[columns.datetime] as number, ends[columns.datetime] as number);
    if (Number.isNaN(timestampMs)) {
      return `TX_DATETIME: expected a UTC date and time YYYY-MM-DD HH:MM:SS, got ${field(text, columns.datetime)}`;
    }
    const cardId = idOf(cardIds, cardIdFor, text, starts[columns.customer] as number, ends[columns.customer] as number);
    if (cardId === undefined) return `CUSTOMER_ID: expected a non-negative integer, got ${field(text, columns.customer)}`;
    const terminalId = idOf(terminalIds, terminalIdFor, text, starts[columns.terminal] as number, ends[columns.terminal] as number);
    if (terminalId === undefined) return `TERMINAL_ID: expected a non-negative integer, got ${field(text, columns.terminal)}`;
    const cents = parseCents(text, starts[columns.amount] as number, ends[columns.amount] as number);
    if (!(cents >= 0) || text.charCodeAt(starts[columns.amount] as number) === MINUS) {
      return `TX_AMOUNT: expected a number >= 0, got ${field(text, columns.amount)}`;
    }
    const fraudStart = starts[columns.fraud] as number;
    const fraudCode = ends[columns.fraud] === fraudStart + 1 ? text.charCodeAt(fraudStart) - CHAR_0 : -1;
    if (fraudCode !== 0 && fraudCode !== 1) return `TX_FRAUD: expected 0 or 1, got ${field(text, columns.fraud)}`;
    let scenario = 0;
    if (columns.scenario >= 0) {
      scenario = digitsAt(text, starts[columns.scenario] as number, ends[columns.scenario] as number);
      if (scenario < 0) return `TX_FRAUD_SCENARIO: expected a non-negative integer, got ${field(text, columns.scenario)}`;
    }
    return {
      line,
      transactionId: transactionIdFor(text.slice(idStart, idEnd)),
      timestampMs,
      cardId,
      terminalId,
      amount: cents / 100,
      fraud: fraudCode === 1,
      scenario,
    };
  };
}
