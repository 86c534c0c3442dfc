import { utcDayStart } from '../durations.js';
import { csvTransactionIdOf, customerIdOf, terminalNumberOf } from '../ids.js';
import type { HandbookRecord } from './rows.js';

const twoDigits = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));

/** Formats `YYYY-MM-DD HH:MM:SS` in UTC, reusing the date part of the previous call when the day is the same. */
function createDatetimeFormatter(): (ms: number) => string {
  let cachedDay = Number.NaN;
  let cachedDate = '';
  return (ms) => {
    const dayStart = utcDayStart(ms);
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
