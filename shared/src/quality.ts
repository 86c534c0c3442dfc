export interface CardDayRow {
  day: number;
  card: string;
  score: number;
  fraud: boolean;
}

/**
 * The Handbook's card precision@k: each day, cards ranked by their highest score that day; the share
 * of compromised cards (any fraud that day) among the top k. A card found in an earlier day's top k
 * is left out of later days. Averaged over the days.
 */
export function cardPrecisionAtK(
  rows: readonly CardDayRow[],
  k = 100,
  /** Cards found on earlier days (left out; the cards found here are added): a live computation carries it from day to day. */
  detected: Set<string> = new Set(),
): { mean: number; perDay: { day: number; precision: number }[] } {
  const days = new Map<number, Map<string, { score: number; fraud: boolean }>>();
  for (const row of rows) {
    let cards = days.get(row.day);
    if (cards === undefined) days.set(row.day, (cards = new Map()));
    const card = cards.get(row.card);
    if (card === undefined) cards.set(row.card, { score: row.score, fraud: row.fraud });
    else {
      card.score = Math.max(card.score, row.score);
      card.fraud ||= row.fraud;
    }
  }
  const perDay: { day: number; precision: number }[] = [];
  for (const day of [...days.keys()].sort((a, b) => a - b)) {
    const ranked = [...days.get(day)!.entries()]
      .filter(([card]) => !detected.has(card))
      .sort((a, b) => b[1].score - a[1].score || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, k);
    const found = ranked.filter(([, card]) => card.fraud).map(([card]) => card);
    for (const card of found) detected.add(card);
    perDay.push({ day, precision: found.length / k });
  }
  const mean = perDay.length === 0 ? Number.NaN : perDay.reduce((sum, day) => sum + day.precision, 0) / perDay.length;
  return { mean, perDay };
}
