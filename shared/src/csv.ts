/**
 * The Fraud Detection Handbook's CSV format, read and written by hand: the simulator writes 1.75 M
 * rows and the model and the producer's replay read them back, so both directions avoid a CSV
 * library and per-row allocations beyond the row itself. The format has no quoting (only digits,
 * dates and decimals), which is what makes splitting on commas correct.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { DAY_MS } from './durations.js';
import { FraudstreamError } from './errors.js';
import type { Transaction } from './events.js';
import { SCHEMA_VERSION } from './events.js';
import { cardIdFor, csvTransactionIdOf, customerIdOf, terminalIdFor, terminalNumberOf, transactionIdFor } from './ids.js';

export const HANDBOOK_REQUIRED_COLUMNS = [
  'TRANSACTION_ID',
  'TX_DATETIME',
  'CUSTOMER_ID',
  'TERMINAL_ID',
  'TX_AMOUNT',
  'TX_FRAUD',
] as const;

/** The columns fraudstream writes: the required ones plus the scenario that made a row fraud (0 = none). */
export const HANDBOOK_WRITTEN_COLUMNS = [...HANDBOOK_REQUIRED_COLUMNS, 'TX_FRAUD_SCENARIO'] as const;
export const HANDBOOK_HEADER = HANDBOOK_WRITTEN_COLUMNS.join(',');

/** One valid row of a Handbook CSV, with fraudstream's event ids. */
export interface HandbookRow {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  transactionId: string;
  timestampMs: number;
  cardId: string;
  terminalId: string;
  amount: number;
  fraud: boolean;
  /** TX_FRAUD_SCENARIO when the file has it (1, 2 or 3 for a fraud, 0 otherwise); 0 when it does not. */
  scenario: number;
}

/** A row to write: a HandbookRow without its line number. */
export type HandbookRecord = Omit<HandbookRow, 'line'>;

export interface BadCsvRow {
  line: number;
  reason: string;
  /** The line as read (without its line ending), for the report. */
  text: string;
}

export interface ReadHandbookCsvOptions {
  /** Called for every row that cannot be read; the row is skipped and reading goes on. */
  onBadRow?: (bad: BadCsvRow) => void;
  /** Bytes read at a time; each chunk of the file becomes one yielded array of rows. */
  chunkBytes?: number;
}

const CHAR_0 = 48;
const MINUS = 45;

/** Digits of `text` from `start` to `end` as a number, or -1 if the range is empty or holds a non-digit. */
function digitsAt(text: string, start: number, end: number): number {
  if (end <= start) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i) - CHAR_0;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/** Start of UTC days by YYYYMMDD, remembering the last day asked (rows come sorted, days in runs). */
class DayStarts {
  private lastKey = -1;
  private lastMs = Number.NaN;
  private readonly known = new Map<number, number>();

  /** Epoch ms of the day's start, or NaN if there is no such date. */
  get(year: number, month: number, day: number): number {
    const key = year * 10_000 + month * 100 + day;
    if (key === this.lastKey) return this.lastMs;
    let ms = this.known.get(key);
    if (ms === undefined) {
      ms = Date.UTC(year, month - 1, day);
      const check = new Date(ms);
      if (month < 1 || day < 1 || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) ms = Number.NaN;
      this.known.set(key, ms);
    }
    this.lastKey = key;
    this.lastMs = ms;
    return ms;
  }
}

/** `YYYY-MM-DD HH:MM:SS` (a `T` is accepted too) at `start` of `text`, as UTC epoch milliseconds, or NaN. */
function parseDatetime(days: DayStarts, text: string, start: number, end: number): number {
  if (end - start !== 19) return Number.NaN;
  const separator = text.charCodeAt(start + 10);
  if (
    text.charCodeAt(start + 4) !== 45 ||
    text.charCodeAt(start + 7) !== 45 ||
    text.charCodeAt(start + 13) !== 58 ||
    text.charCodeAt(start + 16) !== 58 ||
    (separator !== 32 && separator !== 84)
  ) {
    return Number.NaN;
  }
  const year = digitsAt(text, start, start + 4);
  const month = digitsAt(text, start + 5, start + 7);
  const day = digitsAt(text, start + 8, start + 10);
  const hours = digitsAt(text, start + 11, start + 13);
  const minutes = digitsAt(text, start + 14, start + 16);
  const seconds = digitsAt(text, start + 17, start + 19);
  if (year < 0 || month < 0 || day < 0 || hours < 0 || hours > 23 || minutes < 0 || minutes > 59 || seconds < 0 || seconds > 59) {
    return Number.NaN;
  }
  return days.get(year, month, day) + ((hours * 60 + minutes) * 60 + seconds) * 1000;
}

/**
 * An amount in cents: `12`, `12.3` and `12.34` by digits; anything else (more decimals, exponents)
 * through Number and rounded to cents. NaN when it is not a number.
 */
function parseCents(text: string, start: number, end: number): number {
  const dot = text.indexOf('.', start);
  const intEnd = dot === -1 || dot >= end ? end : dot;
  const whole = digitsAt(text, start, intEnd);
  const decimals = end - intEnd - 1;
  if (whole >= 0 && whole < 1e13) {
    if (intEnd === end) return whole * 100;
    if (decimals === 2) {
      const fraction = digitsAt(text, intEnd + 1, end);
      if (fraction >= 0) return whole * 100 + fraction;
    } else if (decimals === 1) {
      const fraction = digitsAt(text, intEnd + 1, end);
      if (fraction >= 0) return whole * 100 + fraction * 10;
    }
  }
  if (end <= start) return Number.NaN;
  const value = Number(text.slice(start, end));
  return Number.isFinite(value) ? Math.round(value * 100) : Number.NaN;
}

interface ColumnPositions {
  count: number;
  id: number;
  datetime: number;
  customer: number;
  terminal: number;
  amount: number;
  fraud: number;
  scenario: number;
}

function columnsOf(path: string, header: string): ColumnPositions {
  const names = header.split(',').map((name) => name.trim());
  const missing = HANDBOOK_REQUIRED_COLUMNS.filter((name) => !names.includes(name));
  if (missing.length > 0) {
    throw new FraudstreamError(
      'CSV_INVALID',
      `${path}: the header lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ` +
        `(expected at least ${HANDBOOK_REQUIRED_COLUMNS.join(',')}; got ${JSON.stringify(header.slice(0, 200))})`,
    );
  }
  return {
    count: names.length,
    id: names.indexOf('TRANSACTION_ID'),
    datetime: names.indexOf('TX_DATETIME'),
    customer: names.indexOf('CUSTOMER_ID'),
    terminal: names.indexOf('TERMINAL_ID'),
    amount: names.indexOf('TX_AMOUNT'),
    fraud: names.indexOf('TX_FRAUD'),
    scenario: names.indexOf('TX_FRAUD_SCENARIO'),
  };
}

/**
 * Parses data lines in place (by offsets into the chunk's text, without slicing every field): a
 * 1.75 M-row file makes little garbage beyond the rows themselves. Card and terminal ids repeat, so
 * their strings are made once.
 */
function createRowParser(columns: ColumnPositions) {
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

  return (text: string, start: number, end: number, line: number): HandbookRow | string => {
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

/**
 * Reads a Handbook CSV, yielding the rows of each chunk of the file in file order. A header without
 * the required columns throws FraudstreamError CSV_INVALID naming them; a bad row goes to `onBadRow`
 * with its line number and is skipped. Empty lines are skipped silently; CRLF line endings are fine.
 * Amounts come back in cents (`12.3456` is read as 12.35), as the events require.
 */
export async function* readHandbookCsv(path: string, options: ReadHandbookCsvOptions = {}): AsyncGenerator<HandbookRow[]> {
  const { onBadRow, chunkBytes = 1 << 18 } = options;
  const stream = createReadStream(path, { highWaterMark: chunkBytes });
  let parseRow: ReturnType<typeof createRowParser> | undefined;
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

/** The Transaction event for a CSV row (amounts in EUR, like the Handbook's). */
export function transactionFromRow(row: HandbookRow): Transaction {
  return {
    schemaVersion: SCHEMA_VERSION,
    transactionId: row.transactionId,
    timestamp: new Date(row.timestampMs).toISOString(),
    cardId: row.cardId,
    terminalId: row.terminalId,
    amount: row.amount,
    currency: 'EUR',
  };
}

/** A record to write for a transaction event and its label. */
export function recordFromTransaction(transaction: Transaction, fraud: boolean, scenario = 0): HandbookRecord {
  return {
    transactionId: transaction.transactionId,
    timestampMs: Date.parse(transaction.timestamp),
    cardId: transaction.cardId,
    terminalId: transaction.terminalId,
    amount: transaction.amount,
    fraud,
    scenario,
  };
}

const twoDigits = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));

/** Formats `YYYY-MM-DD HH:MM:SS` in UTC, reusing the date part of the previous call when the day is the same. */
function createDatetimeFormatter(): (ms: number) => string {
  let cachedDay = Number.NaN;
  let cachedDate = '';
  return (ms) => {
    const dayStart = Math.floor(ms / DAY_MS) * DAY_MS;
    if (dayStart !== cachedDay) {
      cachedDay = dayStart;
      cachedDate = new Date(dayStart).toISOString().slice(0, 10);
    }
    const seconds = Math.floor((ms - dayStart) / 1000);
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    return `${cachedDate} ${twoDigits[hours]}:${twoDigits[minutes]}:${twoDigits[seconds % 60]}`;
  };
}

function formatAmount(amount: number): string {
  const cents = Math.round(amount * 100);
  const rest = cents % 100;
  return `${(cents - rest) / 100}.${twoDigits[rest]}`;
}

/** A row formatter; keep one per output so consecutive rows of one day share the date text. */
export function createHandbookRowFormatter(): (record: HandbookRecord) => string {
  const datetime = createDatetimeFormatter();
  return (record) =>
    `${csvTransactionIdOf(record.transactionId)},${datetime(record.timestampMs)},${customerIdOf(record.cardId)},` +
    `${terminalNumberOf(record.terminalId)},${formatAmount(record.amount)},${record.fraud ? 1 : 0},${record.scenario}\n`;
}

const defaultFormatter = createHandbookRowFormatter();

/** One CSV line (with its newline) in the column order of HANDBOOK_HEADER, with the Handbook's numeric ids. */
export function formatHandbookRow(record: HandbookRecord): string {
  return defaultFormatter(record);
}

export interface HandbookCsvWriter {
  /** Queues a row; returns a promise only when the output is behind (await it then), else undefined. */
  write(record: HandbookRecord): Promise<void> | undefined;
  /** Writes what is buffered; ends the output when the writer opened it (a stream passed in stays open). */
  close(): Promise<void>;
  /** Rows written so far. */
  readonly rows: number;
}

const ZERO = 48;


/**
 * Encodes rows straight into a byte buffer (the same text as formatHandbookRow): no string per row,
 * which keeps a 1.75 M-row export from spending its time in the garbage collector.
 */
class RowEncoder {
  buffer: Buffer;
  length = 0;
  private day = Number.NaN;
  private readonly datePrefix = Buffer.alloc(11);

  constructor(readonly capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /** Hands over the bytes encoded so far and starts a fresh buffer (the stream keeps the old one). */
  take(): Buffer {
    const bytes = this.buffer.subarray(0, this.length);
    this.buffer = Buffer.allocUnsafe(this.capacity);
    this.length = 0;
    return bytes;
  }

  private text(value: string, from = 0): void {
    for (let i = from; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (code > 127) {
        this.length += this.buffer.write(value.slice(i), this.length, 'utf8');
        return;
      }
      this.buffer[this.length++] = code;
    }
  }

  private digits(value: number): void {
    if (value >= 10) this.digits(Math.floor(value / 10));
    this.buffer[this.length++] = ZERO + (value % 10);
  }

  private twoDigits(value: number): void {
    this.buffer[this.length++] = ZERO + Math.floor(value / 10);
    this.buffer[this.length++] = ZERO + (value % 10);
  }

  /** A numeric transaction id without its zero padding (csvTransactionIdOf), any other id as it is. */
  private transactionId(id: string): void {
    let first = 0;
    for (let i = 0; i < id.length; i++) {
      const code = id.charCodeAt(i);
      if (code < ZERO || code > ZERO + 9) return this.text(id);
    }
    while (first < id.length - 1 && id.charCodeAt(first) === ZERO) first++;
    this.text(id, first);
  }

  row(record: HandbookRecord): void {
    this.transactionId(record.transactionId);
    this.buffer[this.length++] = 44;
    const ms = record.timestampMs;
    const dayStart = Math.floor(ms / DAY_MS) * DAY_MS;
    if (dayStart !== this.day) {
      this.day = dayStart;
      this.datePrefix.write(`${new Date(dayStart).toISOString().slice(0, 10)} `, 'latin1');
    }
    this.datePrefix.copy(this.buffer, this.length);
    this.length += 11;
    const seconds = Math.floor((ms - dayStart) / 1000);
    this.twoDigits(Math.floor(seconds / 3600));
    this.buffer[this.length++] = 58;
    this.twoDigits(Math.floor((seconds % 3600) / 60));
    this.buffer[this.length++] = 58;
    this.twoDigits(seconds % 60);
    this.buffer[this.length++] = 44;
    this.text(record.cardId, record.cardId.startsWith('card-') ? 5 : 0);
    this.buffer[this.length++] = 44;
    this.text(record.terminalId, record.terminalId.startsWith('term-') ? 5 : 0);
    this.buffer[this.length++] = 44;
    const cents = Math.round(record.amount * 100);
    this.digits(Math.floor(cents / 100));
    this.buffer[this.length++] = 46;
    this.twoDigits(cents % 100);
    this.buffer[this.length++] = 44;
    this.buffer[this.length++] = record.fraud ? ZERO + 1 : ZERO;
    this.buffer[this.length++] = 44;
    this.digits(record.scenario);
    this.buffer[this.length++] = 10;
  }
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
