import { describe, expect, it } from 'vitest';
import { DAY_MS } from '@fraudstream/shared';
import { decodeTransaction, encode } from '@fraudstream/shared';
import {
  CARD_TESTING_AMOUNT,
  CARD_TESTING_PAYMENTS,
  CUSTOMER_COMPROMISE_DAYS,
  FRAUD_AMOUNT_THRESHOLD,
  TERMINAL_COMPROMISE_DAYS,
  cardTestingOn,
  compromisedCustomersOn,
  compromisedTerminalsOn,
  createSimulator,
  transactionEventOf,
  type SimulatedTransaction,
} from '../../src/simulator/simulator.js';

function simulate(options: Parameters<typeof createSimulator>[0], days: number): SimulatedTransaction[] {
  const simulator = createSimulator(options);
  const all: SimulatedTransaction[] = [];
  for (let day = 0; day < days; day++) all.push(...simulator.nextDay());
  return all;
}

describe('createSimulator', () => {
  it('gives the same payments for the same seed and different ones for another seed', () => {
    const options = { customers: 300, terminals: 600, seed: 42 };
    const first = simulate(options, 10);
    expect(simulate(options, 10)).toEqual(first);
    const other = simulate({ ...options, seed: 43 }, 10);
    expect(other.map((t) => [t.timestampMs, t.cardId, t.amount])).not.toEqual(first.map((t) => [t.timestampMs, t.cardId, t.amount]));
  });

  it('builds profiles as in the Handbook: about 75 terminals within reach at the defaults', () => {
    const simulator = createSimulator({ seed: 3 });
    const reach = simulator.customers.map((customer) => customer.reachableTerminals.length);
    expect(reach.reduce((a, b) => a + b, 0) / reach.length).toBeGreaterThan(70);
    expect(reach.reduce((a, b) => a + b, 0) / reach.length).toBeLessThan(80);
    for (const customer of simulator.customers.slice(0, 50)) {
      expect(customer.stdAmount).toBeCloseTo(customer.meanAmount / 2, 10);
      expect(customer.meanAmount).toBeGreaterThanOrEqual(5);
      expect(customer.meanTransactionsPerDay).toBeLessThan(4);
      for (const terminalId of customer.reachableTerminals) {
        const terminal = simulator.terminals[terminalId]!;
        expect(Math.hypot(terminal.x - customer.x, terminal.y - customer.y)).toBeLessThan(5);
      }
      const outside = simulator.terminals.filter(
        (terminal) => Math.hypot(terminal.x - customer.x, terminal.y - customer.y) < 5,
      ).length;
      expect(customer.reachableTerminals.length).toBe(outside);
      expect(customer.maskedPan).toMatch(/^\d{6}\*{6}\d{4}$/);
    }
  });

  it('orders each day by time with ids counting up, and every payment is a valid event', () => {
    const simulator = createSimulator({ customers: 500, terminals: 1_000, seed: 5, startMs: Date.UTC(2020, 0, 1), firstTransactionId: 1_000 });
    const day0 = simulator.nextDay();
    const day1 = simulator.nextDay();
    const all = [...day0, ...day1];
    expect(all[0]!.transactionId).toBe('000000001000');
    for (let i = 1; i < all.length; i++) {
      expect(all[i]!.timestampMs).toBeGreaterThanOrEqual(all[i - 1]!.timestampMs);
      expect(Number(all[i]!.transactionId)).toBe(Number(all[i - 1]!.transactionId) + 1);
    }
    expect(day0.every((t) => t.timestampMs >= Date.UTC(2020, 0, 1) && t.timestampMs < Date.UTC(2020, 0, 2))).toBe(true);
    expect(day1.every((t) => t.timestampMs >= Date.UTC(2020, 0, 2) && t.timestampMs < Date.UTC(2020, 0, 3))).toBe(true);
    for (const simulated of all) {
      const event = transactionEventOf(simulated);
      expect(decodeTransaction(encode(event))).toEqual({ ok: true, value: event });
    }
    expect(new Set(all.map((t) => t.channel)).size).toBeGreaterThan(2);
  });

  it("gives a live simulation's 12-digit ids that never look like a card number, so every payment is valid", () => {
    // Live ids start at day × 10^7 (2026-12-02 → 204,240,000,000): one in ten 12-digit numbers passes Luhn.
    const firstTransactionId = (Date.UTC(2026, 11, 2) / 86_400_000) * 10_000_000;
    const simulator = createSimulator({ customers: 300, terminals: 500, seed: 2, startMs: Date.UTC(2026, 11, 2), firstTransactionId });
    const day = simulator.nextDay();
    expect(day.length).toBeGreaterThan(300);
    const ids = day.map((t) => Number(t.transactionId));
    expect(ids[0]).toBeGreaterThanOrEqual(firstTransactionId);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    expect(ids.at(-1)! - ids[0]!).toBeGreaterThan(day.length); // some were skipped
    for (const simulated of day) expect(decodeTransaction(encode(transactionEventOf(simulated))).ok).toBe(true);
  });

  it('applies the three fraud scenarios exactly as the Handbook describes them', () => {
    const seed = 9;
    const customers = 1_000;
    const terminals = 2_000;
    const days = 45;
    const all = simulate({ customers, terminals, seed }, days);
    const start = Date.UTC(2018, 3, 1);
    const activeOn = (draw: (day: number) => number[], duration: number): Set<number>[] =>
      Array.from(
        { length: days },
        (_, day) => new Set(Array.from({ length: duration }, (_, back) => day - back).filter((from) => from >= 0).flatMap(draw)),
      );
    const terminalsByDay = activeOn((d) => compromisedTerminalsOn(seed, d, terminals), TERMINAL_COMPROMISE_DAYS);
    const customersByDay = activeOn((d) => compromisedCustomersOn(seed, d, customers), CUSTOMER_COMPROMISE_DAYS);

    let customerPayments = 0;
    let customerFrauds = 0;
    for (const t of all) {
      const day = Math.floor((t.timestampMs - start) / DAY_MS);
      const terminalCompromised = terminalsByDay[day]!.has(t.terminalNumber);
      const customerCompromised = customersByDay[day]!.has(t.customerId);
      expect(t.fraud).toBe(t.scenario !== 0);
      if (t.scenario === 3) {
        expect(customerCompromised).toBe(true);
      } else if (terminalCompromised) {
        expect(t.scenario).toBe(2);
      } else {
        expect(t.scenario).toBe(t.amount > FRAUD_AMOUNT_THRESHOLD ? 1 : 0);
      }
      if (customerCompromised) {
        customerPayments++;
        if (t.scenario === 3) customerFrauds++;
      }
    }
    // One third of a compromised customer's payments, amounts multiplied by 5.
    expect(customerFrauds / customerPayments).toBeGreaterThan(0.28);
    expect(customerFrauds / customerPayments).toBeLessThan(0.39);
    const meanOf = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    const scenario3 = all.filter((t) => t.scenario === 3);
    const scenario3Customers = new Set(scenario3.map((t) => t.customerId));
    const sameCustomersLegit = all.filter((t) => t.scenario === 0 && scenario3Customers.has(t.customerId));
    expect(meanOf(scenario3.map((t) => t.amount)) / meanOf(sameCustomersLegit.map((t) => t.amount))).toBeGreaterThan(3.5);
  });

  it("lands on the Handbook's totals scaled to a smaller run", () => {
    const customers = 2_000;
    const terminals = 4_000;
    const days = 90;
    const all = simulate({ customers, terminals, seed: 1 }, days);
    const counts = [0, 0, 0, 0];
    for (const t of all) counts[t.scenario]! += 1;
    // Handbook at 5,000 customers, 10,000 terminals, 183 days: 1.75 M payments; scenarios 1,000 / 9,100 / 4,600.
    // Payments and scenario 1 scale with customers × days; scenario 2 also with the share of terminals
    // compromised (2 a day for 28 days, over the first 13.5 days' ramp); scenario 3 with the days only
    // (3 customers a day for 14 days).
    const scale = (customers / 5_000) * (days / 183);
    const expected = {
      payments: 1_754_155 * scale,
      scenario1: 1_000 * scale,
      scenario2: 9_100 * (customers / 5_000) * (10_000 / terminals) * ((days - 13.5) / (183 - 13.5)),
      scenario3: 4_600 * ((days - 6.5) / (183 - 6.5)),
    };
    const within = (value: number, target: number, share: number) => {
      expect(value).toBeGreaterThan(target * (1 - share));
      expect(value).toBeLessThan(target * (1 + share));
    };
    within(all.length, expected.payments, 0.05);
    within(counts[1]!, expected.scenario1, 0.25);
    within(counts[2]!, expected.scenario2, 0.2);
    within(counts[3]!, expected.scenario3, 0.15);
  });
});

describe('createSimulator with a drift', () => {
  const start = Date.UTC(2018, 3, 1);
  const driftDay = 4;
  const fromMs = start + driftDay * DAY_MS;
  const base = { customers: 1_000, terminals: 2_000, seed: 12 };
  const days = 8;
  const dayOf = (t: SimulatedTransaction) => Math.floor((t.timestampMs - start) / DAY_MS);
  /** What a payment is apart from its id and channel (which can change with the amount). */
  const payment = (t: SimulatedTransaction) => [t.timestampMs, t.cardId, t.terminalId, t.fraud, t.scenario];

  it('leaves the amounts before the drift day alone and multiplies every later one, labels unchanged', () => {
    const plain = simulate(base, days);
    const drifted = simulate({ ...base, drift: { fromMs, amountFactor: 2.5, cardTesting: false } }, days);
    const before = plain.filter((t) => t.timestampMs < fromMs);
    expect(before.length).toBeGreaterThan(1_000);
    expect(drifted.slice(0, before.length)).toEqual(before);
    const after = plain.slice(before.length);
    const driftedAfter = drifted.slice(before.length);
    expect(driftedAfter.length).toBe(after.length);
    expect(driftedAfter.every((t) => t.timestampMs >= fromMs)).toBe(true);
    expect(driftedAfter.map(payment)).toEqual(after.map(payment));
    expect(driftedAfter.map((t) => t.transactionId)).toEqual(after.map((t) => t.transactionId));
    // Rounded to cents as the simulator rounds, never below one cent.
    expect(driftedAfter.map((t) => t.amount)).toEqual(after.map((t) => Math.max(0.01, Math.round(t.amount * 2.5 * 100) / 100)));
    for (const t of driftedAfter) expect(Math.round(t.amount * 100) / 100).toBe(t.amount);
    const small = simulate({ ...base, drift: { fromMs, amountFactor: 0.001, cardTesting: false } }, days).filter((t) => t.timestampMs >= fromMs);
    expect(small.every((t) => t.amount >= 0.01)).toBe(true);
    expect(small.some((t) => t.amount === 0.01)).toBe(true);
  });

  it('adds card testing (scenario 4) from the drift day on: small payments, labelled fraud, on terminals the card never uses', () => {
    const plain = simulate(base, days);
    const simulator = createSimulator({ ...base, drift: { fromMs, amountFactor: 1, cardTesting: true } });
    const drifted: SimulatedTransaction[] = [];
    for (let day = 0; day < days; day++) drifted.push(...simulator.nextDay());
    const testing = drifted.filter((t) => t.scenario === 4);
    // Before the drift day the payments are the same; after it, the Handbook's are all there too.
    expect(drifted.filter((t) => t.timestampMs < fromMs)).toEqual(plain.filter((t) => t.timestampMs < fromMs));
    expect(drifted.filter((t) => t.scenario !== 4).map(payment)).toEqual(plain.map(payment));
    expect(testing.every((t) => t.timestampMs >= fromMs && t.fraud)).toBe(true);
    // 2 cards a day (0.2 % of 1,000), each making 2 to 6 payments.
    for (let day = driftDay; day < days; day++) {
      const count = testing.filter((t) => dayOf(t) === day).length;
      expect(count, `day ${day}`).toBeGreaterThanOrEqual(2 * CARD_TESTING_PAYMENTS.min);
      expect(count, `day ${day}`).toBeLessThanOrEqual(2 * CARD_TESTING_PAYMENTS.max);
    }
    for (const t of testing) {
      expect(t.amount).toBeGreaterThanOrEqual(CARD_TESTING_AMOUNT.min);
      expect(t.amount).toBeLessThanOrEqual(CARD_TESTING_AMOUNT.max);
      expect(simulator.customers[t.customerId]!.reachableTerminals.includes(t.terminalNumber)).toBe(false);
      expect(decodeTransaction(encode(transactionEventOf(t))).ok).toBe(true);
    }
    // Each day's bursts come out in time order with the rest, ids counting up.
    for (let i = 1; i < drifted.length; i++) {
      expect(drifted[i]!.timestampMs).toBeGreaterThanOrEqual(drifted[i - 1]!.timestampMs);
      expect(Number(drifted[i]!.transactionId)).toBeGreaterThan(Number(drifted[i - 1]!.transactionId));
    }
  });

  it('gives the same drifted payments for the same seed and different ones for another seed', () => {
    const options = { ...base, drift: { fromMs, amountFactor: 1.7, cardTesting: true } };
    const first = simulate(options, days);
    expect(simulate(options, days)).toEqual(first);
    const other = simulate({ ...options, seed: 13 }, days).filter((t) => t.scenario === 4);
    expect(other.map(payment)).not.toEqual(first.filter((t) => t.scenario === 4).map(payment));
  });

  it('drifts every day of a run that starts after the drift day', () => {
    const late = simulate({ ...base, startMs: start + 10 * DAY_MS, drift: { fromMs, amountFactor: 1, cardTesting: true } }, 1);
    expect(late.filter((t) => t.scenario === 4).length).toBeGreaterThan(0);
  });

  it('tests tens of cards’ worth of payments a day at the default 5,000 customers', () => {
    const { customers, terminals, seed } = createSimulator({ seed: 1 });
    for (const day of [0, 1, 2]) {
      const payments = cardTestingOn(seed, day, customers, terminals.length);
      expect(new Set(payments.map((p) => p.customerId)).size).toBe(10);
      expect(payments.length).toBeGreaterThanOrEqual(10 * CARD_TESTING_PAYMENTS.min);
      expect(payments.length).toBeLessThanOrEqual(10 * CARD_TESTING_PAYMENTS.max);
      expect(cardTestingOn(seed, day, customers, terminals.length)).toEqual(payments);
      for (const p of payments) expect(p.seconds).toBeLessThan(86_400);
    }
  });

  it('refuses a drift that does not start at a UTC midnight or has no positive factor', () => {
    expect(() => createSimulator({ ...base, drift: { fromMs: fromMs + 1, amountFactor: 2, cardTesting: false } })).toThrow(/drift\.fromMs/);
    for (const amountFactor of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createSimulator({ ...base, drift: { fromMs, amountFactor, cardTesting: false } })).toThrow(/drift\.amountFactor/);
    }
  });
});
