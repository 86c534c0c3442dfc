import { z } from 'zod';
import type { PagePosition } from './schemas.js';

/** Detection times a stored alert can have: what PostgreSQL and an ISO 8601 string both hold (years 1 to 9999). */
const earliestMs = Date.parse('0001-01-01T00:00:00.000Z');
const latestMs = Date.parse('9999-12-31T23:59:59.999Z');

/** An opaque page cursor: the detection time (ms) and sequence of the last alert of a page. */
export function encodeCursor({ detectedAt, sequence }: PagePosition): string {
  return Buffer.from(`${detectedAt.getTime()}.${sequence}`).toString('base64url');
}

/** The position a cursor of `encodeCursor` names, or undefined for anything else (in range or not, it is not ours). */
export function decodeCursor(cursor: string): PagePosition | undefined {
  const match = /^(-?\d{1,15})\.(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return undefined;
  const time = Number(match[1]);
  const sequence = Number(match[2]);
  if (time < earliestMs || time > latestMs || !Number.isSafeInteger(sequence)) return undefined;
  const position = { detectedAt: new Date(time), sequence };
  // One spelling per position: `-0`, leading zeros or base64 padding are not cursors this API wrote.
  return encodeCursor(position) === cursor ? position : undefined;
}

/** The `cursor` query parameter: validated and decoded at the boundary, so a handler gets a position. */
export const PageCursor = z
  .string()
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'not a cursor returned by this API')
  .transform((cursor, ctx) => {
    const position = decodeCursor(cursor);
    if (position === undefined) {
      ctx.addIssue({ code: 'custom', message: 'not a cursor returned by this API' });
      return z.NEVER;
    }
    return position;
  })
  .describe('nextCursor of the previous page (opaque)');
