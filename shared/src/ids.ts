/**
 * How the Handbook's numeric ids become event ids, and back. The producer's simulator, CSV replay,
 * the offline CLIs and the export all go through these, so one transaction has one id everywhere.
 * Zero-padding keeps string order equal to numeric order (the feature engine breaks timestamp ties
 * by transactionId).
 */
const ID_WIDTH = 12;
const CARD_PREFIX = 'card-';
const TERMINAL_PREFIX = 'term-';
const CHAR_0 = 48;

export function transactionIdFor(id: number | string): string {
  const text = String(id);
  return /^\d+$/.test(text) ? text.padStart(ID_WIDTH, '0') : text;
}

export const cardIdFor = (customerId: number | string): string => `${CARD_PREFIX}${customerId}`;
export const terminalIdFor = (terminalId: number | string): string => `${TERMINAL_PREFIX}${terminalId}`;

/** Where the Handbook's CUSTOMER_ID starts in a card id: after `card-`, or 0 for any other token. */
export const customerIdStart = (cardId: string): number => (cardId.startsWith(CARD_PREFIX) ? CARD_PREFIX.length : 0);
/** Where the Handbook's TERMINAL_ID starts in a terminal id: after `term-`, or 0 for any other id. */
export const terminalNumberStart = (terminalId: string): number =>
  terminalId.startsWith(TERMINAL_PREFIX) ? TERMINAL_PREFIX.length : 0;

/** The Handbook's CUSTOMER_ID for a card id (`card-42` → `42`); other tokens come back unchanged. */
export const customerIdOf = (cardId: string): string => cardId.slice(customerIdStart(cardId));
export const terminalNumberOf = (terminalId: string): string => terminalId.slice(terminalNumberStart(terminalId));

/**
 * Where the Handbook's TRANSACTION_ID starts in a numeric transaction id: after its zero padding
 * (`000000000042` → 10, keeping one digit of `000000000000`); 0 for an id that is not all digits.
 * Lets a writer copy the id's characters without making a string.
 */
export function csvTransactionIdStart(transactionId: string): number {
  for (let i = 0; i < transactionId.length; i++) {
    const code = transactionId.charCodeAt(i);
    if (code < CHAR_0 || code > CHAR_0 + 9) return 0;
  }
  let first = 0;
  while (first < transactionId.length - 1 && transactionId.charCodeAt(first) === CHAR_0) first++;
  return first;
}

/** The Handbook's TRANSACTION_ID (`000000000042` → `42`). */
export const csvTransactionIdOf = (transactionId: string): string =>
  /^\d+$/.test(transactionId) ? String(Number(transactionId)) : transactionId;
