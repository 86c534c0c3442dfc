import type { HandbookRecord, Transaction } from '@fraudstream/shared';
import { DAY_MS, FraudstreamError, SCHEMA_VERSION, containsCardNumber, transactionIdFor } from '@fraudstream/shared';
import {
  channelFor,
  type Channel,
  generateCustomers,
  generateTerminals,
  linkTerminals,
  type CustomerProfile,
  type TerminalProfile,
} from './profiles.js';
import { Random } from './random.js';

/**
 * `id`, or the next one after it whose text no card-number check takes for a PAN: a live simulation's
 * ids have 12 digits and no leading zero, and one in ten of those passes the Luhn check (the contract
 * would refuse the payment). Ids below 10^11 are zero-padded, never one, so offline files keep theirs.
 */
function nextPlainId(id: number): number {
  let next = id;
  while (containsCardNumber(transactionIdFor(next))) next++;
  return next;
}

const DAY_SECONDS = 86_400;

/** The Handbook's parameters. */
export const simulatorDefaults = {
  customers: 5_000,
  terminals: 10_000,
  radius: 5,
  seed: 0,
  startMs: Date.UTC(2018, 3, 1),
} as const;

/** Scenario 1: any amount above this is fraud. */
export const FRAUD_AMOUNT_THRESHOLD = 220;
/** Scenario 2: terminals compromised per day, and for how many days their transactions are fraud. */
export const COMPROMISED_TERMINALS_PER_DAY = 2;
export const TERMINAL_COMPROMISE_DAYS = 28;
/** Scenario 3: customers compromised per day, for how long, the share of their payments and the amount factor. */
export const COMPROMISED_CUSTOMERS_PER_DAY = 3;
export const CUSTOMER_COMPROMISE_DAYS = 14;
export const CUSTOMER_FRAUD_SHARE = 1 / 3;
export const CUSTOMER_FRAUD_AMOUNT_FACTOR = 5;

export type FraudScenario = 0 | 1 | 2 | 3;

/** One simulated payment: a HandbookRecord (writable as a CSV row) plus the fields events carry. */
export interface SimulatedTransaction extends HandbookRecord {
  customerId: number;
  terminalNumber: number;
  scenario: FraudScenario;
  currency: 'EUR';
  merchantCategory: string;
  channel: Channel;
  maskedPan: string;
}

export interface SimulatorOptions {
  customers?: number;
  terminals?: number;
  /** Distance within which a customer uses terminals. */
  radius?: number;
  seed?: number;
  /** UTC midnight of day 0. */
  startMs?: number;
  /** Id (a non-negative integer) of the first transaction; later ones count up from it. */
  firstTransactionId?: number;
}

export interface Simulator {
  readonly customers: readonly CustomerProfile[];
  readonly terminals: readonly TerminalProfile[];
  readonly seed: number;
  readonly startMs: number;
  /** Index of the day `nextDay()` generates next. */
  readonly day: number;
  /** The next day's transactions, in time order (ties in generation order), ids counting up. */
  nextDay(): SimulatedTransaction[];
}

/** Terminals compromised on `day` (scenario 2), drawn from that day's own stream. */
export function compromisedTerminalsOn(seed: number, day: number, terminalCount: number): number[] {
  return new Random(seed, 'compromised-terminals', day).sample(terminalCount, COMPROMISED_TERMINALS_PER_DAY);
}

/** Customers compromised on `day` (scenario 3), drawn from that day's own stream. */
export function compromisedCustomersOn(seed: number, day: number, customerCount: number): number[] {
  return new Random(seed, 'compromised-customers', day).sample(customerCount, COMPROMISED_CUSTOMERS_PER_DAY);
}

/** Everything compromised on `day` and still active: draws of the days `day - duration + 1` … `day` (never before day 0). */
function activeCompromises(draw: (day: number) => number[], day: number, duration: number): Set<number> {
  const active = new Set<number>();
  for (let from = Math.max(0, day - duration + 1); from <= day; from++) for (const id of draw(from)) active.add(id);
  return active;
}

function checkOptions(options: Required<Omit<SimulatorOptions, 'firstTransactionId'>> & { firstTransactionId: number }): void {
  const problems: string[] = [];
  const wholeIn = (name: string, value: number, min: number, max: number): void => {
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`Expected \`${name}\` to be a whole number in [${min}, ${max}], got ${value}`);
    }
  };
  wholeIn('customers', options.customers, 1, 1_000_000);
  wholeIn('terminals', options.terminals, COMPROMISED_TERMINALS_PER_DAY, 1_000_000);
  wholeIn('seed', options.seed, 0, 2 ** 32 - 1);
  wholeIn('firstTransactionId', options.firstTransactionId, 0, 1e12 - 1);
  if (!(options.radius > 0) || !Number.isFinite(options.radius)) problems.push(`Expected \`radius\` to be a number > 0, got ${options.radius}`);
  if (!Number.isInteger(options.startMs / DAY_MS)) problems.push(`Expected \`startMs\` to be a UTC midnight, got ${options.startMs}`);
  if (problems.length > 0) throw new FraudstreamError('CONFIG_INVALID', problems.join('\n'));
}

/**
 * The Handbook's transaction simulator, one day at a time in event time. Every day has its own
 * random streams (derived from the seed and the day), so the data depend only on the seed and the
 * options. Scenario 3 picks each payment of a compromised customer with probability 1/3 as it is
 * generated (the Handbook samples a third of the 14 days' payments at once, which a stream cannot do:
 * the expected counts are the same).
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const settings = {
    customers: options.customers ?? simulatorDefaults.customers,
    terminals: options.terminals ?? simulatorDefaults.terminals,
    radius: options.radius ?? simulatorDefaults.radius,
    seed: options.seed ?? simulatorDefaults.seed,
    startMs: options.startMs ?? simulatorDefaults.startMs,
    firstTransactionId: options.firstTransactionId ?? 0,
  };
  checkOptions(settings);
  const { seed, startMs } = settings;
  const customers = generateCustomers(settings.customers, seed);
  const terminals = generateTerminals(settings.terminals, seed);
  linkTerminals(customers, terminals, settings.radius);

  const terminalDraws = new Map<number, number[]>();
  const customerDraws = new Map<number, number[]>();
  const cached = (cache: Map<number, number[]>, make: (day: number) => number[]) => (day: number) => {
    let ids = cache.get(day);
    if (ids === undefined) {
      ids = make(day);
      cache.set(day, ids);
      cache.delete(day - TERMINAL_COMPROMISE_DAYS - CUSTOMER_COMPROMISE_DAYS);
    }
    return ids;
  };
  const terminalsOn = cached(terminalDraws, (day) => compromisedTerminalsOn(seed, day, terminals.length));
  const customersOn = cached(customerDraws, (day) => compromisedCustomersOn(seed, day, customers.length));

  let day = 0;
  let nextId = settings.firstTransactionId;

  const generateDay = (): SimulatedTransaction[] => {
    const dayStartMs = startMs + day * DAY_MS;
    const random = new Random(seed, 'transactions', day);
    const fraudRandom = new Random(seed, 'customer-fraud', day);
    const extras = new Random(seed, 'transaction-extras', day);
    const compromisedTerminals = activeCompromises(terminalsOn, day, TERMINAL_COMPROMISE_DAYS);
    const compromisedCustomers = activeCompromises(customersOn, day, CUSTOMER_COMPROMISE_DAYS);

    const transactions: SimulatedTransaction[] = [];
    const times: number[] = [];
    for (const customer of customers) {
      const count = random.poisson(customer.meanTransactionsPerDay);
      const reachable = customer.reachableTerminals;
      if (count === 0 || reachable.length === 0) continue;
      const customerCompromised = compromisedCustomers.has(customer.customerId);
      for (let n = 0; n < count; n++) {
        const seconds = Math.trunc(random.normal(DAY_SECONDS / 2, 20_000));
        if (seconds < 0 || seconds >= DAY_SECONDS) continue;
        let amount = random.normal(customer.meanAmount, customer.stdAmount);
        if (amount < 0) amount = random.between(0, 2 * customer.meanAmount);
        // A draw that rounds to 0.00 becomes one cent: events require amount > 0.
        amount = Math.max(0.01, Math.round(amount * 100) / 100);
        const terminal = terminals[reachable[random.integer(reachable.length)] as number] as TerminalProfile;

        let scenario: FraudScenario = 0;
        if (amount > FRAUD_AMOUNT_THRESHOLD) scenario = 1;
        if (compromisedTerminals.has(terminal.terminalId)) scenario = 2;
        if (customerCompromised && fraudRandom.uniform() < CUSTOMER_FRAUD_SHARE) {
          amount = Math.round(amount * CUSTOMER_FRAUD_AMOUNT_FACTOR * 100) / 100;
          scenario = 3;
        }
        times.push(seconds);
        transactions.push({
          transactionId: '',
          timestampMs: dayStartMs + seconds * 1000,
          customerId: customer.customerId,
          cardId: customer.cardId,
          terminalNumber: terminal.terminalId,
          terminalId: terminal.eventTerminalId,
          amount,
          fraud: scenario !== 0,
          scenario,
          currency: 'EUR',
          merchantCategory: terminal.merchantCategory,
          channel: channelFor(terminal, amount, extras),
          maskedPan: customer.maskedPan,
        });
      }
    }

    // Sort by time, ties in generation order: one numeric key per payment, sorted as a typed array.
    const keys = new Float64Array(transactions.length);
    for (let i = 0; i < keys.length; i++) keys[i] = (times[i] as number) * 4_294_967_296 + i;
    keys.sort();
    const ordered: SimulatedTransaction[] = new Array<SimulatedTransaction>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const transaction = transactions[(keys[i] as number) % 4_294_967_296] as SimulatedTransaction;
      nextId = nextPlainId(nextId);
      transaction.transactionId = transactionIdFor(nextId++);
      ordered[i] = transaction;
    }
    day++;
    return ordered;
  };

  return {
    customers,
    terminals,
    seed,
    startMs,
    get day() {
      return day;
    },
    nextDay: generateDay,
  };
}

/** The Transaction event of a simulated payment. */
export function transactionEventOf(simulated: SimulatedTransaction): Transaction {
  return {
    schemaVersion: SCHEMA_VERSION,
    transactionId: simulated.transactionId,
    timestamp: new Date(simulated.timestampMs).toISOString(),
    cardId: simulated.cardId,
    terminalId: simulated.terminalId,
    amount: simulated.amount,
    currency: simulated.currency,
    merchantCategory: simulated.merchantCategory,
    channel: simulated.channel,
    maskedPan: simulated.maskedPan,
  };
}
