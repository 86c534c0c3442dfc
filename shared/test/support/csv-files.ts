import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { readHandbookCsv, type HandbookRow } from '../../src/csv/index.js';

/** A file holding `content` in a directory of its own, removed when the test ends. */
export function fileWith(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fraudstream-csv-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'data.csv');
  writeFileSync(path, content);
  return path;
}

export async function readAll(path: string, options: Parameters<typeof readHandbookCsv>[1] = {}): Promise<HandbookRow[]> {
  const rows: HandbookRow[] = [];
  for await (const chunk of readHandbookCsv(path, options)) rows.push(...chunk);
  return rows;
}

/** A record as the system writes one: padded transaction id, card and terminal ids. */
export const sampleRecord = {
  transactionId: '000000000042',
  timestampMs: Date.UTC(2018, 8, 30, 23, 59, 7),
  cardId: 'card-17',
  terminalId: 'term-9',
  amount: 1234.5,
  fraud: true,
  scenario: 3,
};
