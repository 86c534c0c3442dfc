import { pino, type Logger, type LoggerOptions } from 'pino';
import { findCardNumbers, maskCardNumbers } from './card-numbers.js';

export type { Logger } from 'pino';

export interface LoggerSettings {
  name: string;
  level?: LoggerOptions['level'];
  /** Pretty, coloured lines for people; JSON lines otherwise. Defaults to whether stdout is a terminal. */
  pretty?: boolean;
}

function maskStrings(value: unknown): unknown {
  if (typeof value === 'string') return maskCardNumbers(value);
  if (Array.isArray(value)) return value.map(maskStrings);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskStrings(item)]));
  return value;
}

/**
 * A JSON log line with the card numbers in its strings masked. Most lines hold nothing that looks like
 * one and pass as they are; numbers are left alone (a 13-digit epoch passes the Luhn check one time in
 * ten, and masking it would break the line).
 */
export function maskedLogLine(line: string): string {
  if (findCardNumbers(line).length === 0) return line;
  try {
    return `${JSON.stringify(maskStrings(JSON.parse(line)))}\n`;
  } catch {
    return maskCardNumbers(line); // not JSON: mask the text
  }
}

/**
 * pino logger: JSON to stdout, or pino-pretty when a person is watching. No full card number is ever
 * logged: every line (message, fields, a child's bindings, errors) is masked as it is written, as
 * events are masked when they are read, so a number that slipped in anywhere is caught here.
 */
export function createLogger({ name, level = 'info', pretty = process.stdout.isTTY === true }: LoggerSettings): Logger {
  return pino({
    name,
    level,
    hooks: { streamWrite: maskedLogLine },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  });
}
