import { readFile } from 'node:fs/promises';
import { columnsOf } from './columns.js';
import { CHAR_0, DayStarts } from './fields.js';

/**
 * A whole Handbook CSV as columns, for the offline replay: one typed array per field, row i of each is
 * the file's i-th data row. Ids stay numbers (the Handbook's), amounts are cents.
 */
export interface HandbookColumns {
  n: number;
  /** TRANSACTION_ID as a number: `transactionIdFor` pads it, `csvTransactionIdOf` gives back its decimal digits. */
  transactionIds: Float64Array;
  timestampsMs: Float64Array;
  /** CUSTOMER_ID: the card is `cardIdFor(number)`. */
  cardNumbers: Int32Array;
  /** TERMINAL_ID: the terminal is `terminalIdFor(number)`. */
  terminalNumbers: Int32Array;
  /** TX_AMOUNT in cents (the row's amount is cents / 100). */
  cents: Float64Array;
  fraud: Uint8Array;
}

/** Ids the readers turn into the same event id only while they stay this short (ids.ts pads to 12 digits). */
const MAX_TRANSACTION_ID_DIGITS = 12;
/** Card and terminal numbers above this are made into strings without the reader's numeric cache (parse.ts). */
const MAX_ENTITY_NUMBER = 10_000_000;
const COMMA = 44;
const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const DOT = 46;

const enum Role {
  Other,
  Id,
  Datetime,
  Customer,
  Terminal,
  Amount,
  Fraud,
  Scenario,
}

/**
 * Reads a Handbook CSV straight from its bytes into columns (no string per row or field), or returns
 * undefined when any line is not in the plain form the simulator writes: then `readHandbookCsv` must
 * read it, and reports what is wrong (bad rows, a bad header) as usual. Plain: every line has the
 * header's field count; TRANSACTION_ID has 1–12 digits; TX_DATETIME is `YYYY-MM-DD HH:MM:SS` (or
 * with a `T`) of a real date; CUSTOMER_ID and TERMINAL_ID are numbers up to 10,000,000 without leading
 * zeros; TX_AMOUNT has digits and at most two decimals; TX_FRAUD is 0 or 1; TX_FRAUD_SCENARIO (when
 * present) has digits. Empty lines and CRLF endings are fine, as for `readHandbookCsv`. Every row the
 * columns hold is the row `readHandbookCsv` yields for that line.
 */
export async function readHandbookColumns(path: string): Promise<HandbookColumns | undefined> {
  return parseHandbookColumns(path, await readFile(path));
}

/** `readHandbookColumns` over bytes already read (`path` only names the file in errors). */
export function parseHandbookColumns(path: string, bytes: Uint8Array): HandbookColumns | undefined {
  const length = bytes.length;
  let headerEnd = bytes.indexOf(NEWLINE);
  if (headerEnd === -1) headerEnd = length;
  const headerText = Buffer.from(bytes.buffer, bytes.byteOffset, headerEnd).toString('latin1').replace(/\r$/, '');
  let roles: Role[];
  try {
    const columns = columnsOf(path, headerText);
    roles = new Array<Role>(columns.count).fill(Role.Other);
    roles[columns.id] = Role.Id;
    roles[columns.datetime] = Role.Datetime;
    roles[columns.customer] = Role.Customer;
    roles[columns.terminal] = Role.Terminal;
    roles[columns.amount] = Role.Amount;
    roles[columns.fraud] = Role.Fraud;
    if (columns.scenario >= 0) roles[columns.scenario] = Role.Scenario;
  } catch {
    return undefined;
  }
  const fieldCount = roles.length;

  // About 45 bytes a row in the simulator's files; grown if the guess is short.
  let capacity = Math.max(1024, Math.ceil(length / 32));
  let transactionIds = new Float64Array(capacity);
  let timestampsMs = new Float64Array(capacity);
  let cardNumbers = new Int32Array(capacity);
  let terminalNumbers = new Int32Array(capacity);
  let cents = new Float64Array(capacity);
  let fraud = new Uint8Array(capacity);
  const grow = (): void => {
    capacity *= 2;
    const more = <T extends Float64Array | Int32Array | Uint8Array>(array: T, make: (size: number) => T): T => {
      const bigger = make(capacity);
      bigger.set(array);
      return bigger;
    };
    transactionIds = more(transactionIds, (size) => new Float64Array(size));
    timestampsMs = more(timestampsMs, (size) => new Float64Array(size));
    cardNumbers = more(cardNumbers, (size) => new Int32Array(size));
    terminalNumbers = more(terminalNumbers, (size) => new Int32Array(size));
    cents = more(cents, (size) => new Float64Array(size));
    fraud = more(fraud, (size) => new Uint8Array(size));
  };

  const days = new DayStarts();
  const digit = (at: number): number => {
    const value = bytes[at]! - CHAR_0;
    return value >= 0 && value <= 9 ? value : -1000;
  };
  let n = 0;
  let position = headerEnd + 1;
  while (position < length) {
    let lineEnd = bytes.indexOf(NEWLINE, position);
    if (lineEnd === -1) lineEnd = length;
    const end = lineEnd > position && bytes[lineEnd - 1] === CARRIAGE_RETURN ? lineEnd - 1 : lineEnd;
    const lineStart = position;
    position = lineEnd + 1;
    if (end === lineStart) continue;
    if (n === capacity) grow();

    let at = lineStart;
    for (let field = 0; field < fieldCount; field++) {
      if (field > 0) {
        if (at >= end || bytes[at] !== COMMA) return undefined;
        at++;
      }
      const start = at;
      switch (roles[field]) {
        case Role.Id: {
          let value = 0;
          while (at < end && bytes[at] !== COMMA) {
            const d = digit(at++);
            if (d < 0) return undefined;
            value = value * 10 + d;
          }
          if (at === start || at - start > MAX_TRANSACTION_ID_DIGITS) return undefined;
          transactionIds[n] = value;
          break;
        }
        case Role.Customer:
        case Role.Terminal: {
          let value = 0;
          while (at < end && bytes[at] !== COMMA) {
            const d = digit(at++);
            if (d < 0) return undefined;
            value = value * 10 + d;
          }
          if (at === start || (bytes[start] === CHAR_0 && at - start > 1) || value > MAX_ENTITY_NUMBER) return undefined;
          if (roles[field] === Role.Customer) cardNumbers[n] = value;
          else terminalNumbers[n] = value;
          break;
        }
        case Role.Datetime: {
          const separator = bytes[at + 10];
          if (
            end - at < 19 ||
            bytes[at + 4] !== 45 ||
            bytes[at + 7] !== 45 ||
            bytes[at + 13] !== 58 ||
            bytes[at + 16] !== 58 ||
            (separator !== 32 && separator !== 84)
          ) {
            return undefined;
          }
          const year = digit(at) * 1000 + digit(at + 1) * 100 + digit(at + 2) * 10 + digit(at + 3);
          const month = digit(at + 5) * 10 + digit(at + 6);
          const day = digit(at + 8) * 10 + digit(at + 9);
          const hours = digit(at + 11) * 10 + digit(at + 12);
          const minutes = digit(at + 14) * 10 + digit(at + 15);
          const seconds = digit(at + 17) * 10 + digit(at + 18);
          if (year < 0 || month < 0 || day < 0 || hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) return undefined;
          const dayStart = days.get(year, month, day);
          if (Number.isNaN(dayStart)) return undefined;
          timestampsMs[n] = dayStart + ((hours * 60 + minutes) * 60 + seconds) * 1000;
          at += 19;
          break;
        }
        case Role.Amount: {
          let whole = 0;
          while (at < end && bytes[at] !== COMMA && bytes[at] !== DOT) {
            const d = digit(at++);
            if (d < 0) return undefined;
            whole = whole * 10 + d;
          }
          if (at === start || whole >= 1e13) return undefined;
          let amountCents = whole * 100;
          if (at < end && bytes[at] === DOT) {
            const tenths = at + 1 < end ? digit(at + 1) : -1;
            if (tenths < 0) return undefined;
            if (at + 2 < end && bytes[at + 2] !== COMMA) {
              const hundredths = digit(at + 2);
              if (hundredths < 0) return undefined;
              amountCents += tenths * 10 + hundredths;
              at += 3;
            } else {
              amountCents += tenths * 10;
              at += 2;
            }
          }
          cents[n] = amountCents;
          break;
        }
        case Role.Fraud: {
          const value = digit(at);
          if (value !== 0 && value !== 1) return undefined;
          fraud[n] = value;
          at++;
          break;
        }
        case Role.Scenario:
          while (at < end && bytes[at] !== COMMA) if (digit(at++) < 0) return undefined;
          if (at === start) return undefined;
          break;
        default:
          while (at < end && bytes[at] !== COMMA) at++;
      }
      // A field the switch read must end at a comma or the line's end.
      if (at < end && bytes[at] !== COMMA) return undefined;
    }
    if (at !== end) return undefined;
    n++;
  }
  return {
    n,
    transactionIds: transactionIds.subarray(0, n),
    timestampsMs: timestampsMs.subarray(0, n),
    cardNumbers: cardNumbers.subarray(0, n),
    terminalNumbers: terminalNumbers.subarray(0, n),
    cents: cents.subarray(0, n),
    fraud: fraud.subarray(0, n),
  };
}
