import { describe, expect, it } from 'vitest';
import { DAY_MS } from '@fraudstream/shared';
import { decodeTransaction, encode } from '@fraudstream/shared';
import {
  CUSTOMER_COMPROMISE_DAYS,
  FRAUD_AMOUNT_THRESHOLD,
  TERMINAL_COMPROMISE_DAYS,
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
