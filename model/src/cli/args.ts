import { parseArgs, type ParseArgsConfig } from 'node:util';
import { realpathSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readHandbookCsv, type BadCsvRow, type HandbookRow } from '@fraudstream/shared/csv';
import { columnsOf } from '@fraudstream/shared/csv/columns';
import { DAY_MS } from '@fraudstream/shared/durations';
import { FraudstreamError, isFraudstreamError } from '@fraudstream/shared/errors';
import { CSV_CHUNK_BYTES, collectDataset, type Dataset } from '../replay.js';
import { createProgress } from './progress.js';

/** A command-line mistake (code USAGE_INVALID): the CLI prints it with its usage and exits with status 2. */
export function usageError(message: string): FraudstreamError {
  return new FraudstreamError('USAGE_INVALID', message);
}

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw usageError((err as Error).message);
  }
}

export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw usageError(`missing --${flag}`);
  return value;
}

/**
 * A day flag as UTC midnight in ms: a date (YYYY-MM-DD) or days before today (21d: the UTC midnight 21
 * days before today's), so a command can follow the system's own history day by day.
 */
export function dateFlag(value: string | undefined, flag: string, now: Date = new Date()): number {
  const text = required(value, flag);
  const daysAgo = /^(\d{1,5})d$/.exec(text);
  if (daysAgo) return Math.floor(now.getTime() / DAY_MS) * DAY_MS - Number(daysAgo[1]) * DAY_MS;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== text) {
    throw usageError(`Expected --${flag} to be a date as YYYY-MM-DD or days before today as 21d, got ${JSON.stringify(text)}`);
  }
  return ms;
}

export function integerFlag(value: string | undefined, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN; // not '', ' 7 ' or '0x10', which Number() takes
  if (!Number.isSafeInteger(number) || number < min) throw usageError(`Expected --${flag} to be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return number;
}

export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const addDays = (ms: number, days: number): number => ms + days * DAY_MS;

/** Reports bad CSV rows on stderr (the first few in full) and counts them. */
export function badRowReporter(path: string, shown = 20): { onBadRow: (bad: BadCsvRow) => void; summary: () => string | undefined } {
  let count = 0;
  return {
    onBadRow(bad) {
      count++;
      if (count <= shown) process.stderr.write(`${path}:${bad.line}: skipped: ${bad.reason}\n`);
    },
    summary: () => (count === 0 ? undefined : `${count} bad row${count === 1 ? '' : 's'} skipped in ${path}${count > shown ? ` (first ${shown} shown)` : ''}`),
  };
}

/** Whether the module at `moduleUrl` is the process's entry point (a CLI run as a command, not imported by a test). */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Runs a CLI: usage and exit 2 on a usage error, the message and exit 1 on any other failure. */
export function runCli(usage: string, main: (argv: string[]) => Promise<void>): void {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return;
  }
  main(argv).catch((err: unknown) => {
    if (isFraudstreamError(err, 'USAGE_INVALID')) {
      process.stderr.write(`${err.message}\n\n${usage}\n`);
      process.exit(2);
    }
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}

/** The CSV's rows chunk by chunk, reporting bad rows and the share of the file read so far. */
export async function* csvRows(
  path: string,
  onBadRow: (bad: BadCsvRow) => void,
  onProgress?: (fraction: number) => void,
): AsyncGenerator<HandbookRow[]> {
  let totalBytes: number;
  try {
    totalBytes = (await stat(path)).size;
  } catch (err) {
    throw usageError(`Cannot read --input ${path}: ${(err as Error).message}`);
  }
  let chunks = 0;
  for await (const rows of readHandbookCsv(path, { onBadRow, chunkBytes: CSV_CHUNK_BYTES })) {
    chunks++;
    onProgress?.(Math.min(1, (chunks * CSV_CHUNK_BYTES) / Math.max(1, totalBytes)));
    yield rows;
  }
}

/**
 * Replays the CSV up to `toMs` (from the features' look-back before `fromMs`) and keeps the rows in
 * [fromMs, toMs), with a progress bar, then reports the bad rows it skipped: the first step of `train`
 * and `evaluate`.
 */
export async function replayPeriod(input: string, fromMs: number, toMs: number): Promise<Dataset> {
  const bad = badRowReporter(input);
  const reading = createProgress('replay ');
  const dataset = await collectDataset(
    csvRows(input, bad.onBadRow, (fraction) => reading.update(fraction)),
    { fromMs, untilMs: toMs },
  );
  reading.done(`${dataset.n} rows in [${isoDay(fromMs)}, ${isoDay(toMs)})`);
  const badSummary = bad.summary();
  if (badSummary !== undefined) console.error(badSummary);
  return dataset;
}

/**
 * The time of a Handbook CSV's last row (files are in event-time order), read from the file's end
 * without replaying it; undefined when it cannot be read as one.
 */
export async function lastTransactionMs(path: string): Promise<number | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw usageError(`Cannot read --input ${path}: ${(err as Error).message}`);
  }
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 4096));
    await handle.read(head, 0, head.length, 0);
    const columns = columnsOf(path, head.toString('utf8').split(/\r?\n/, 1)[0] ?? '');
    const tail = Buffer.alloc(Math.min(size, 65_536));
    await handle.read(tail, 0, tail.length, size - tail.length);
    const last = tail.toString('utf8').split(/\r?\n/).filter((line) => line.trim() !== '').at(-1);
    const text = last?.split(',')[columns.datetime]?.trim();
    const ms = text === undefined ? Number.NaN : Date.parse(`${text.replace(' ', 'T')}Z`);
    return Number.isFinite(ms) ? ms : undefined;
  } finally {
    await handle.close();
  }
}
