import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/durations.js';
import {
  FEATURE_NAMES,
  createFeatureEngine,
  createMemoryFeatureStore,
  type FeatureEngine,
} from '../../src/features/index.js';
import { transactionIdFor, type Label, type Transaction } from '../../src/index.js';

const T0 = Date.parse('2018-08-01T12:00:00Z');
const HOUR_MS = 3_600_000;

function tx(id: number, atMs: number, card: string, terminal: string, amount: number): Transaction {
  return {
    schemaVersion: 1,
    transactionId: transactionIdFor(id),
    timestamp: new Date(atMs).toISOString(),
    cardId: card,
    terminalId: terminal,
    amount,
    currency: 'EUR',
  };
}

function label(of: Transaction, labeledAtMs: number, fraud = true): Label {
  return {
    schemaVersion: 1,
    transactionId: of.transactionId,
    cardId: of.cardId,
    terminalId: of.terminalId,
    transactionTimestamp: of.timestamp,
    fraud,
    source: fraud && labeledAtMs === Date.parse(of.timestamp) + 7 * DAY_MS ? 'chargeback' : 'analyst',
    labeledAt: new Date(labeledAtMs).toISOString(),
  };
}

/** The named features of each row. */
async function features(engine: FeatureEngine, transactions: Transaction[]): Promise<Record<string, number>[]> {
  const vectors = await engine.transform(transactions);
  return transactions.map((_, row) =>
    Object.fromEntries(FEATURE_NAMES.map((name, column) => [name, vectors[row * FEATURE_NAMES.length + column]!])),
  );
}

async function one(engine: FeatureEngine, transaction: Transaction): Promise<Record<string, number>> {
  const [row] = await features(engine, [transaction]);
  return row!;
}

const engine = (): FeatureEngine => createFeatureEngine(createMemoryFeatureStore());

describe('feature engine: card windows', () => {
  it('counts and averages over (t − w, t], including the transaction itself', async () => {
    const e = engine();
    await one(e, tx(1, T0, 'card-1', 'term-1', 10));
    await one(e, tx(2, T0 + DAY_MS - 1, 'card-1', 'term-2', 20));
    const exactlyOneDayLater = await one(e, tx(3, T0 + DAY_MS, 'card-1', 'term-3', 30.5));
    expect(exactlyOneDayLater).toMatchObject({
      TX_AMOUNT: 30.5,
      CUSTOMER_ID_NB_TX_1DAY_WINDOW: 2, // tx 1 sits exactly on the open bound t − 1 day
      CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: 25.25,
      CUSTOMER_ID_NB_TX_7DAY_WINDOW: 3,
      CUSTOMER_ID_NB_TX_30DAY_WINDOW: 3,
    });
    expect(exactlyOneDayLater['CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW']).toBeCloseTo(60.5 / 3, 5);
    expect(exactlyOneDayLater['CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_30DAY']).toBeCloseTo(30.5 / 15, 5);
    expect(exactlyOneDayLater['CUSTOMER_ID_HOURS_SINCE_PREVIOUS_TX']).toBeCloseTo(1 / HOUR_MS, 9);
  });

  it('compares the amount with the median of the card\'s earlier amounts, which a few large ones do not move', async () => {
    const e = engine();
    const amounts = [10, 12, 500, 11, 600];
    for (const [index, amount] of amounts.entries()) await one(e, tx(index + 1, T0 + index * HOUR_MS, 'card-1', `term-${index}`, amount));
    const row = await one(e, tx(9, T0 + 10 * HOUR_MS, 'card-1', 'term-9', 55));
    // Earlier amounts 10, 11, 12, 500, 600: median 12 (the average, 226.6, is pulled up by the two large ones).
    expect(row['CUSTOMER_ID_AMOUNT_TO_PREVIOUS_MEDIAN_30DAY']).toBeCloseTo(55 / 12, 5);
    expect(row['CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_30DAY']).toBeCloseTo(55 / (1133 / 5), 5);
    // An even count: the mean of the two middle ones; entries after the transaction do not count.
    const redelivered = await one(e, tx(5, T0 + 4 * HOUR_MS, 'card-1', 'term-4', 600));
    expect(redelivered['CUSTOMER_ID_AMOUNT_TO_PREVIOUS_MEDIAN_30DAY']).toBeCloseTo(600 / 11.5, 5);
  });

  it('gives the median of any earlier amounts, as sorting them would', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 1, maxLength: 150 }), async (cents) => {
        const e = engine();
        const history = cents.map((amount, index) => tx(index + 1, T0 + index * 60_000, 'card-1', 'term-1', amount / 100));
        await e.transform(history);
        const row = await one(e, tx(cents.length + 1, T0 + cents.length * 60_000, 'card-1', 'term-1', 100));
        const sorted = [...cents].sort((a, b) => a - b);
        const middle = sorted.length >>> 1;
        const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
        // The vector is float32: equal to 7 significant digits.
        expect(Math.abs(row['CUSTOMER_ID_AMOUNT_TO_PREVIOUS_MEDIAN_30DAY']! / (10_000 / Math.max(median, 1)) - 1)).toBeLessThan(1e-6);
      }),
      { numRuns: 200 },
    );
  });

  it('a first transaction has neutral history features', async () => {
    const row = await one(engine(), tx(1, T0, 'card-1', 'term-1', 42));
    expect(row).toMatchObject({
      CUSTOMER_ID_NB_TX_1DAY_WINDOW: 1,
      CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: 42,
      CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_7DAY: 1,
      CUSTOMER_ID_HOURS_SINCE_PREVIOUS_TX: 720,
      TERMINAL_ID_NB_TX_30DAY_WINDOW: 0,
      TERMINAL_ID_RISK_30DAY_WINDOW: 0,
      TERMINAL_ID_DAYS_SINCE_LAST_KNOWN_FRAUD: 37,
      TERMINAL_ID_NB_KNOWN_FRAUDS: 0,
      CUSTOMER_ID_AMOUNT_TO_PREVIOUS_MEDIAN_30DAY: 1,
    });
  });

  it('breaks timestamp ties by transaction id, also within one batch and on redelivery', async () => {
    const e = engine();
    const later = tx(11, T0, 'card-1', 'term-1', 5);
    const earlier = tx(10, T0, 'card-1', 'term-1', 15);
    const [a, b] = await features(e, [later, earlier]);
    expect(b!['CUSTOMER_ID_NB_TX_1DAY_WINDOW']).toBe(1);
    expect(a!['CUSTOMER_ID_NB_TX_1DAY_WINDOW']).toBe(2);
    expect(a!['CUSTOMER_ID_HOURS_SINCE_PREVIOUS_TX']).toBe(0);

    await one(e, tx(12, T0 + HOUR_MS, 'card-1', 'term-1', 100));
    expect(await one(e, earlier)).toEqual(b);
    expect(await one(e, later)).toEqual(a);
  });

  it('calendar features come from the UTC timestamp', async () => {
    const saturdayNight = await one(engine(), tx(1, Date.parse('2018-08-04T06:59:59Z'), 'card-1', 'term-1', 1));
    const mondayMorning = await one(engine(), tx(1, Date.parse('2018-08-06T07:00:00Z'), 'card-1', 'term-1', 1));
    expect(saturdayNight).toMatchObject({ TX_DURING_WEEKEND: 1, TX_DURING_NIGHT: 1 });
    expect(mondayMorning).toMatchObject({ TX_DURING_WEEKEND: 0, TX_DURING_NIGHT: 0 });
  });
});

describe('feature engine: $0.00 payments', () => {
  it('scores a $0.00 verification and a purchase after verifications only with finite features', async () => {
    const e = engine();
    const verification = await one(e, tx(1, T0, 'card-1', 'term-1', 0));
    const second = await one(e, tx(2, T0 + HOUR_MS, 'card-1', 'term-1', 0));
    const purchase = await one(e, tx(3, T0 + 2 * HOUR_MS, 'card-1', 'term-2', 250));
    for (const row of [verification, second, purchase]) expect(Object.values(row).every(Number.isFinite)).toBe(true);
    expect(verification).toMatchObject({ TX_AMOUNT: 0, CUSTOMER_ID_NB_TX_1DAY_WINDOW: 1, CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW: 0 });
    expect(second).toMatchObject({ CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_7DAY: 0 });
    // After verifications only, the earlier average counts as one cent: 25,000 cents over 1.
    expect(purchase).toMatchObject({ CUSTOMER_ID_NB_TX_1DAY_WINDOW: 3, CUSTOMER_ID_AMOUNT_TO_PREVIOUS_AVG_7DAY: 25_000 });
  });
});

describe('feature engine: terminal windows and labels', () => {
  it('counts the terminal over (t − d − w, t − d] and its risk from labels received by t', async () => {
    const e = engine();
    const first = tx(1, T0, 'card-1', 'term-1', 10);
    const second = tx(2, T0 + 2 * DAY_MS, 'card-2', 'term-1', 10);
    await features(e, [first, second]);
    await e.applyLabels([label(first, T0 + 7 * DAY_MS)]);

    const justBefore = await one(e, tx(3, T0 + 7 * DAY_MS - 1, 'card-3', 'term-1', 10));
    expect(justBefore).toMatchObject({ TERMINAL_ID_NB_TX_1DAY_WINDOW: 0, TERMINAL_ID_NB_TX_7DAY_WINDOW: 0 });

    const atDelay = await one(e, tx(4, T0 + 7 * DAY_MS, 'card-3', 'term-1', 10));
    expect(atDelay).toMatchObject({
      TERMINAL_ID_NB_TX_1DAY_WINDOW: 1,
      TERMINAL_ID_RISK_1DAY_WINDOW: 1,
      TERMINAL_ID_NB_TX_7DAY_WINDOW: 1,
      TERMINAL_ID_DAYS_SINCE_LAST_KNOWN_FRAUD: 7,
      TERMINAL_ID_DAYS_SINCE_FIRST_KNOWN_FRAUD: 7,
      TERMINAL_ID_NB_KNOWN_FRAUDS: 1,
      TERMINAL_ID_NB_TX_AFTER_LAST_KNOWN_FRAUD: 0,
      TERMINAL_ID_RISK_SINCE_FIRST_KNOWN_FRAUD: 1,
      TERMINAL_ID_DAYS_SINCE_TX_BEFORE_FIRST_KNOWN_FRAUD: 37, // none before it
    });

    const later = await one(e, tx(5, T0 + 9 * DAY_MS, 'card-3', 'term-1', 10));
    expect(later).toMatchObject({
      TERMINAL_ID_NB_TX_1DAY_WINDOW: 1, // only `second`, exactly at t − d
      TERMINAL_ID_RISK_1DAY_WINDOW: 0,
      TERMINAL_ID_NB_TX_7DAY_WINDOW: 2,
      TERMINAL_ID_RISK_7DAY_WINDOW: 0.5,
      TERMINAL_ID_DAYS_SINCE_LAST_KNOWN_FRAUD: 9,
      TERMINAL_ID_NB_KNOWN_FRAUDS: 1,
      TERMINAL_ID_NB_TX_AFTER_LAST_KNOWN_FRAUD: 1, // `second`, a legitimate payment after the fraud
      TERMINAL_ID_RISK_SINCE_FIRST_KNOWN_FRAUD: 0.5,
    });
  });

  it('bounds how long ago a terminal\'s compromise began by its last payment before the first known fraud', async () => {
    const e = engine();
    const clean = tx(1, T0 - 3 * DAY_MS, 'card-1', 'term-1', 10);
    const frauds = [tx(2, T0, 'card-2', 'term-1', 10), tx(3, T0 + DAY_MS, 'card-3', 'term-1', 10)];
    await features(e, [clean, ...frauds]);
    await e.applyLabels(frauds.map((fraud) => label(fraud, Date.parse(fraud.timestamp) + 7 * DAY_MS)));
    const row = await one(e, tx(4, T0 + 8 * DAY_MS, 'card-4', 'term-1', 10));
    expect(row).toMatchObject({
      TERMINAL_ID_NB_KNOWN_FRAUDS: 2,
      TERMINAL_ID_DAYS_SINCE_FIRST_KNOWN_FRAUD: 8,
      TERMINAL_ID_DAYS_SINCE_TX_BEFORE_FIRST_KNOWN_FRAUD: 11,
      TERMINAL_ID_RISK_SINCE_FIRST_KNOWN_FRAUD: 1, // both payments since the first fraud were fraud
      TERMINAL_ID_NB_TX_AFTER_LAST_KNOWN_FRAUD: 0,
    });
  });

  it('a label applied before its labeledAt does not leak into earlier transactions', async () => {
    const e = engine();
    const first = tx(1, T0, 'card-1', 'term-1', 10);
    await one(e, first);
    await e.applyLabels([label(first, T0 + 8 * DAY_MS)]);
    const before = await one(e, tx(2, T0 + 8 * DAY_MS - 1, 'card-2', 'term-1', 10));
    expect(before).toMatchObject({
      TERMINAL_ID_NB_TX_7DAY_WINDOW: 1,
      TERMINAL_ID_RISK_7DAY_WINDOW: 0,
      TERMINAL_ID_DAYS_SINCE_LAST_KNOWN_FRAUD: 37,
      TERMINAL_ID_NB_TX_AFTER_LAST_KNOWN_FRAUD: 1, // no fraud known: the 30-day window's count
    });
    const after = await one(e, tx(3, T0 + 8 * DAY_MS, 'card-2', 'term-1', 10));
    expect(after).toMatchObject({ TERMINAL_ID_RISK_7DAY_WINDOW: 1 });
  });

  it('the latest label received by t decides; applying labels twice changes nothing', async () => {
    const e = engine();
    const first = tx(1, T0, 'card-1', 'term-1', 10);
    await one(e, first);
    const chargeback = label(first, T0 + 7 * DAY_MS);
    const unmark = label(first, T0 + 9 * DAY_MS, false);
    await e.applyLabels([unmark, chargeback, chargeback]);
    await e.applyLabels([chargeback, unmark]);
    const whileFraud = await one(e, tx(2, T0 + 8 * DAY_MS, 'card-2', 'term-1', 10));
    const afterUnmark = await one(e, tx(3, T0 + 9 * DAY_MS, 'card-2', 'term-1', 10));
    expect(whileFraud).toMatchObject({ TERMINAL_ID_RISK_7DAY_WINDOW: 1 });
    expect(afterUnmark).toMatchObject({ TERMINAL_ID_RISK_7DAY_WINDOW: 0, TERMINAL_ID_DAYS_SINCE_LAST_KNOWN_FRAUD: 37 });
    expect(await one(e, tx(2, T0 + 8 * DAY_MS, 'card-2', 'term-1', 10))).toEqual(whileFraud);
  });

  it('recording the same transaction twice changes nothing', async () => {
    const e = engine();
    const first = tx(1, T0, 'card-1', 'term-1', 10);
    await features(e, [first, first]);
    const next = await one(e, tx(2, T0 + 7 * DAY_MS, 'card-1', 'term-1', 10));
    expect(next).toMatchObject({ CUSTOMER_ID_NB_TX_7DAY_WINDOW: 1, TERMINAL_ID_NB_TX_1DAY_WINDOW: 1 });
  });

  it('refuses a negative label delay', () => {
    expect(() => createFeatureEngine(createMemoryFeatureStore(), { labelDelayDays: -1 })).toThrow(/labelDelayDays/);
  });
});
