import { writeFile } from 'node:fs/promises';

/** A small seeded generator, so a failing test replays the same data. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A small Handbook-like CSV: cards paying at nearby terminals, the Handbook's three fraud scenarios
 * (large amounts, compromised terminals for 28 days, compromised cards with 5× amounts), in time order.
 */
export async function writeHandbookCsv(path: string, options: { days: number; cards: number; terminals: number; seed?: number }): Promise<number> {
  const random = lcg(options.seed ?? 1);
  const start = Date.parse('2018-07-01T00:00:00Z');
  const profiles = Array.from({ length: options.cards }, () => ({ mean: 5 + random() * 95, perDay: random() * 4, home: Math.floor(random() * options.terminals) }));
  const compromisedTerminals = new Map<number, number>();
  const compromisedCards = new Map<number, number>();
  const rows: { at: number; card: number; terminal: number; amount: number; fraud: number }[] = [];
  for (let day = 0; day < options.days; day++) {
    compromisedTerminals.set(Math.floor(random() * options.terminals), day);
    compromisedCards.set(Math.floor(random() * options.cards), day);
    profiles.forEach((profile, card) => {
      const count = Math.floor(profile.perDay + random());
      for (let k = 0; k < count; k++) {
        const at = start + day * 86_400_000 + Math.floor(random() * 86_400) * 1000;
        const terminal = (profile.home + Math.floor(random() * 8)) % options.terminals;
        let amount = Math.max(0.01, Math.round(profile.mean * (0.5 + random()) * 100) / 100);
        let fraud = amount > 220 ? 1 : 0;
        const terminalSince = compromisedTerminals.get(terminal);
        if (terminalSince !== undefined && day - terminalSince < 28) fraud = 1;
        const cardSince = compromisedCards.get(card);
        if (cardSince !== undefined && day - cardSince < 14 && random() < 1 / 3) {
          amount = Math.round(amount * 500) / 100;
          fraud = 1;
        }
        rows.push({ at, card, terminal, amount, fraud });
      }
    });
  }
  rows.sort((a, b) => a.at - b.at);
  const lines = rows.map((row, id) => `${id},${new Date(row.at).toISOString().slice(0, 19).replace('T', ' ')},${row.card},${row.terminal},${row.amount.toFixed(2)},${row.fraud}`);
  await writeFile(path, `TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD\n${lines.join('\n')}\n`);
  return rows.length;
}
