import { DAY_MS, cardIdFor, encode, terminalIdFor, transactionIdFor, type Message, type Transaction } from '@fraudstream/shared';

/** Handbook-like transactions in event-time order: `count` over `days` days from 2018-04-01. */
export function makeTransactions(count: number, { days = 3, cards = 200, terminals = 100, firstId = 0 } = {}): Transaction[] {
  const start = Date.parse('2018-04-01T00:00:00Z');
  const step = Math.floor((days * DAY_MS) / count);
  return Array.from({ length: count }, (_, index) => {
    const n = firstId + index;
    const customer = (n * 7919) % cards;
    return {
      schemaVersion: 1 as const,
      transactionId: transactionIdFor(n),
      timestamp: new Date(start + index * step).toISOString().replace('.000Z', 'Z'),
      cardId: cardIdFor(customer),
      terminalId: terminalIdFor((customer * 31 + n) % terminals),
      // Every 50th is a large amount (Handbook scenario 1), so some get flagged.
      amount: n % 50 === 0 ? 250 + (n % 300) : Math.round((5 + ((n * 37) % 9000) / 100) * 100) / 100,
      currency: 'EUR',
    };
  });
}

export const messageOf = (transaction: Transaction): Message => ({ key: transaction.cardId, value: encode(transaction) });


/** A deterministic pseudo-random sequence in [0, 1) (mulberry32): test data that is the same every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface LabeledTransaction {
  transaction: Transaction;
  fraud: boolean;
  scenario: number;
}

/**
 * A small Handbook-like history in event-time order, whole seconds as in the CSV: amounts over 220 are
 * fraud (scenario 1), and each day one terminal is compromised for the next 4 days (scenario 2), so the
 * terminal risk features see the labels that arrive a week later.
 */
export function handbookHistory({ days = 10, perDay = 300, cards = 150, terminals = 60, seed = 7 } = {}): LabeledTransaction[] {
  const next = random(seed);
  const start = Date.parse('2018-04-01T00:00:00Z');
  const compromisedUntil = new Map<number, number>();
  const history: LabeledTransaction[] = [];
  let n = 0;
  for (let day = 0; day < days; day += 1) {
    compromisedUntil.set(Math.floor(next() * terminals), start + (day + 4) * DAY_MS);
    const times = Array.from({ length: perDay }, () => start + day * DAY_MS + Math.floor(next() * 86_400) * 1000).sort((a, b) => a - b);
    for (const time of times) {
      const customer = Math.floor(next() * cards);
      const terminal = Math.floor(next() * terminals);
      const amount = Math.round((next() < 0.02 ? 221 + next() * 300 : 5 + next() * 120) * 100) / 100;
      const transaction: Transaction = {
        schemaVersion: 1,
        transactionId: transactionIdFor(n),
        timestamp: new Date(time).toISOString(),
        cardId: cardIdFor(customer),
        terminalId: terminalIdFor(terminal),
        amount: Math.max(amount, 0.01),
        currency: 'EUR',
      };
      const scenario = amount > 220 ? 1 : (compromisedUntil.get(terminal) ?? 0) > time ? 2 : 0;
      history.push({ transaction, fraud: scenario > 0, scenario });
      n += 1;
    }
  }
  return history;
}
