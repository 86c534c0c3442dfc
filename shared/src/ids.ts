/**
 * How the Handbook's numeric ids become event ids, and back. The producer's simulator, CSV replay,
 * the offline CLIs and the export all go through these, so one transaction has one id everywhere.
 * Zero-padding keeps string order equal to numeric order (the feature engine breaks timestamp ties
 * by transactionId).
 */
const ID_WIDTH = 12;

export function transactionIdFor(id: number | string): string {
  const text = String(id);
  return /^\d+$/.test(text) ? text.padStart(ID_WIDTH, '0') : text;
}

export const cardIdFor = (customerId: number | string): string => `card-${customerId}`;
export const terminalIdFor = (terminalId: number | string): string => `term-${terminalId}`;

/** The Handbook's CUSTOMER_ID for a card id (`card-42` → `42`); other tokens come back unchanged. */
export const customerIdOf = (cardId: string): string => (cardId.startsWith('card-') ? cardId.slice(5) : cardId);
export const terminalNumberOf = (terminalId: string): string =>
  terminalId.startsWith('term-') ? terminalId.slice(5) : terminalId;
/** The Handbook's TRANSACTION_ID (`000000000042` → `42`). */
export const csvTransactionIdOf = (transactionId: string): string =>
  /^\d+$/.test(transactionId) ? String(Number(transactionId)) : transactionId;
