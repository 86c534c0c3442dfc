import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  name: string;
  level?: LoggerOptions['level'];
  /** Pretty, coloured lines for people; JSON lines otherwise. Defaults to whether stdout is a terminal. */
  pretty?: boolean;
}

/** pino logger: JSON to stdout, or pino-pretty when a person is watching. */
export function createLogger({ name, level = 'info', pretty = process.stdout.isTTY === true }: LoggerSettings): Logger {
  return pino({
    name,
    level,
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  });
}
