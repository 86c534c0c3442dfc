import { describe, expect, it } from 'vitest';
import {
  GRID_SIZE,
  channelFor,
  generateCustomers,
  generateTerminals,
  linkTerminals,
  type CustomerProfile,
  type TerminalProfile,
} from '../../src/simulator/profiles.js';
import { Random } from '../../src/simulator/random.js';

const STORE_CATEGORIES = ['5411', '5812', '5814', '5541', '5912', '5311', '5651', '5732', '5942', '4121', '4111', '7011', '5999'];
const ONLINE_CATEGORIES = ['5964', '5732', '4816', '5815', '4722'];

const customerAt = (customerId: number, x: number, y: number): CustomerProfile => ({
  customerId,
  cardId: `card-${customerId}`,
  x,
  y,
  meanAmount: 10,
  stdAmount: 5,
  meanTransactionsPerDay: 1,
  reachableTerminals: new Int32Array(0),
  maskedPan: '453201******0000',
});

const terminalAt = (terminalId: number, x: number, y: number, kind: TerminalProfile['kind'] = 'store'): TerminalProfile => ({
  terminalId,
  eventTerminalId: `term-${terminalId}`,
  x,
  y,
  kind,
  merchantCategory: '5411',
});

describe('generateCustomers', () => {
  it("draws the Handbook's profiles: on the grid, mean amount 5–100 with half of it as deviation, 0–4 payments a day", () => {
    const customers = generateCustomers(2_000, 7);
    expect(customers).toHaveLength(2_000);
    customers.forEach((customer, index) => {
      expect(customer.customerId).toBe(index);
      expect(customer.cardId).toBe(`card-${index}`);
      expect(customer.x).toBeGreaterThanOrEqual(0);
      expect(customer.x).toBeLessThan(GRID_SIZE);
      expect(customer.y).toBeGreaterThanOrEqual(0);
      expect(customer.y).toBeLessThan(GRID_SIZE);
      expect(customer.meanAmount).toBeGreaterThanOrEqual(5);
      expect(customer.meanAmount).toBeLessThan(100);
      expect(customer.stdAmount).toBe(customer.meanAmount / 2);
      expect(customer.meanTransactionsPerDay).toBeGreaterThanOrEqual(0);
      expect(customer.meanTransactionsPerDay).toBeLessThan(4);
      expect(customer.reachableTerminals).toHaveLength(0);
    });
    const meanOf = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    expect(meanOf(customers.map((c) => c.meanAmount))).toBeCloseTo(52.5, 0);
    expect(meanOf(customers.map((c) => c.meanTransactionsPerDay))).toBeCloseTo(2, 0);
  });

  it('gives each card a masked number: a known card range, six stars, four digits', () => {
    const pans = generateCustomers(500, 1).map((customer) => customer.maskedPan);
    for (const pan of pans) expect(pan).toMatch(/^(453201|492181|455673|516732|552461|535110|222300|402400)\*{6}\d{4}$/);
    expect(new Set(pans.map((pan) => pan.slice(0, 6))).size).toBe(8);
  });

  it('is the same for the same seed, different for another, and a prefix of a larger population', () => {
    expect(generateCustomers(100, 3)).toEqual(generateCustomers(100, 3));
    expect(generateCustomers(100, 4).map((c) => c.x)).not.toEqual(generateCustomers(100, 3).map((c) => c.x));
    expect(generateCustomers(1_000, 3).slice(0, 100)).toEqual(generateCustomers(100, 3));
    expect(generateCustomers(0, 3)).toEqual([]);
  });
});

describe('generateTerminals', () => {
  const terminals = generateTerminals(10_000, 11);

  it('places terminals on the grid with their event ids', () => {
    terminals.forEach((terminal, index) => {
      expect(terminal.terminalId).toBe(index);
      expect(terminal.eventTerminalId).toBe(`term-${index}`);
      expect(terminal.x).toBeGreaterThanOrEqual(0);
      expect(terminal.x).toBeLessThan(GRID_SIZE);
      expect(terminal.y).toBeGreaterThanOrEqual(0);
      expect(terminal.y).toBeLessThan(GRID_SIZE);
    });
  });

  it('makes 3 % of them ATMs, 15 % web shops and the rest stores, each with a category of its kind', () => {
    const share = (kind: TerminalProfile['kind']) => terminals.filter((terminal) => terminal.kind === kind).length / terminals.length;
    expect(share('atm')).toBeCloseTo(0.03, 2);
    expect(share('online')).toBeCloseTo(0.15, 1);
    expect(share('store')).toBeCloseTo(0.82, 1);
    for (const terminal of terminals) {
      if (terminal.kind === 'atm') expect(terminal.merchantCategory).toBe('6011');
      else expect(terminal.kind === 'online' ? ONLINE_CATEGORIES : STORE_CATEGORIES).toContain(terminal.merchantCategory);
    }
    const groceries = terminals.filter((terminal) => terminal.merchantCategory === '5411').length;
    const books = terminals.filter((terminal) => terminal.merchantCategory === '5942').length;
    expect(groceries).toBeGreaterThan(books * 5);
  });

  it('is the same for the same seed', () => {
    expect(generateTerminals(200, 11)).toEqual(terminals.slice(0, 200));
    expect(generateTerminals(200, 12)).not.toEqual(terminals.slice(0, 200));
  });
});

describe('linkTerminals', () => {
  it('gives each customer the terminals strictly closer than the radius, ascending', () => {
    const customers = [customerAt(0, 50, 50), customerAt(1, 0, 0), customerAt(2, 99.9, 99.9)];
    const terminals = [
      terminalAt(0, 54.99, 50), // 4.99 away from customer 0
      terminalAt(1, 55, 50), // exactly 5: out
      terminalAt(2, 47, 46), // 5 away: out
      terminalAt(3, 47, 46.01), // just under 5
      terminalAt(4, 3, 3), // 4.24 from customer 1
      terminalAt(5, 96, 96), // 5.52 from customer 2
      terminalAt(6, 50, 50), // on customer 0
    ];
    linkTerminals(customers, terminals, 5);
    expect(customers.map((customer) => Array.from(customer.reachableTerminals))).toEqual([[0, 3, 6], [4], []]);
  });

  it.each([0.7, 5, 13, 150])('finds what comparing every pair finds, at radius %d', (radius) => {
    const customers = generateCustomers(300, 21);
    const terminals = generateTerminals(900, 21);
    linkTerminals(customers, terminals, radius);
    for (const customer of customers) {
      const expected = terminals
        .filter((terminal) => (terminal.x - customer.x) ** 2 + (terminal.y - customer.y) ** 2 < radius * radius)
        .map((terminal) => terminal.terminalId);
      expect(Array.from(customer.reachableTerminals), `customer ${customer.customerId}`).toEqual(expected);
    }
  });
});

describe('channelFor', () => {
  const draws = 4_000;
  const channels = (terminal: TerminalProfile, amount: number) => {
    const random = new Random(5, 'channels');
    const counts = new Map<string, number>();
    for (let draw = 0; draw < draws; draw++) {
      const channel = channelFor(terminal, amount, random);
      counts.set(channel, (counts.get(channel) ?? 0) + 1);
    }
    return counts;
  };

  it('has ATMs withdraw as atm', () => {
    expect(channels(terminalAt(0, 1, 1, 'atm'), 100)).toEqual(new Map([['atm', draws]]));
  });

  it('has web shops take mostly e-commerce and about 5 % mail or telephone orders', () => {
    const counts = channels(terminalAt(0, 1, 1, 'online'), 30);
    expect([...counts.keys()].sort()).toEqual(['ecommerce', 'moto']);
    expect(counts.get('moto')! / draws).toBeCloseTo(0.05, 1);
  });

  it('has stores take 70 % taps up to 50, and only chip and PIN above', () => {
    const small = channels(terminalAt(0, 1, 1), 50);
    expect([...small.keys()].sort()).toEqual(['contactless', 'pos']);
    expect(small.get('contactless')! / draws).toBeCloseTo(0.7, 1);
    expect(channels(terminalAt(0, 1, 1), 50.01)).toEqual(new Map([['pos', draws]]));
  });
});
