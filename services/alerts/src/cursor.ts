import type { PagePosition } from './schemas.js';

/** An opaque page cursor: the detection time (ms) and sequence of the last alert of a page. */
export function encodeCursor({ detectedAt, sequence }: PagePosition): string {
  return Buffer.from(`${detectedAt.getTime()}.${sequence}`).toString('base64url');
}

export function decodeCursor(cursor: string): PagePosition | undefined {
  const match = /^(-?\d{1,15})\.(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return undefined;
  const detectedAt = new Date(Number(match[1]));
  const sequence = Number(match[2]);
  if (Number.isNaN(detectedAt.getTime()) || !Number.isSafeInteger(sequence)) return undefined;
  return { detectedAt, sequence };
}
