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
/**
 * Scenario 4, card testing (only from a drift's day on, with `drift.cardTesting`): each day this share
 * of the cards (at least one) is tested by a fraudster: a burst of CARD_TESTING_PAYMENTS small payments
 * (amounts U(1, 20)) 5 to 90 seconds apart, each on a terminal out of the card's reach, which its owner
 * never uses. At 5,000 customers: 10 cards and about 40 frauds a day.
 */
export const CARD_TESTING_SHARE_PER_DAY = 0.002;
/** Payments per tested card, a whole number drawn uniformly from this range (both ends included). */
export const CARD_TESTING_PAYMENTS = { min: 2, max: 6 } as const;
export const CARD_TESTING_AMOUNT = { min: 1, max: 20 } as const;

export type FraudScenario = 0 | 1 | 2 | 3 | 4;

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

/** A change of the simulated world from one day on, to watch feature drift and the model's quality. */
export interface SimulatorDrift {
  /** A UTC midnight: the payments at or after it drift (all of them when it is before day 0). */
  fromMs: number;
  /**
   * Every amount of the customers' own payments (scenarios 0 to 3) is multiplied by this, rounded to
   * cents. Labels are decided before it: prices change, not who commits fraud.
   */
  amountFactor: number;
  /** Card testing (scenario 4) from that day on. */
  cardTesting: boolean;
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
  /** Unset: the Handbook's world, unchanged on every day. */
  drift?: SimulatorDrift;
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

/** A card-testing payment (scenario 4) before it gets its id and channel. */
export interface CardTestingPayment {
  customerId: number;
  terminalId: number;
  /** Seconds after the day's midnight. */
  seconds: number;
  amount: number;
}

/**
 * The card-testing payments of `day` (scenario 4), in the order drawn, from that day's own stream: so
 * turning the scenario on changes no other draw of the day. A card every terminal is within reach of
 * has no terminal it never uses, and is left alone.
 */
export function cardTestingOn(seed: number, day: number, customers: readonly CustomerProfile[], terminalCount: number): CardTestingPayment[] {
  const random = new Random(seed, 'card-testing', day);
  const cards = Math.max(1, Math.round(CARD_TESTING_SHARE_PER_DAY * customers.length));
  // A burst starts early enough for its CARD_TESTING_PAYMENTS.max - 1 gaps of 5 to 90 s to end the same day.
  const burstSeconds = 600;
  const payments: CardTestingPayment[] = [];
  for (const customerId of random.sample(customers.length, cards)) {
    const reachable = (customers[customerId] as CustomerProfile).reachableTerminals;
    if (reachable.length >= terminalCount) continue;
    const count = CARD_TESTING_PAYMENTS.min + random.integer(CARD_TESTING_PAYMENTS.max - CARD_TESTING_PAYMENTS.min + 1);
    let seconds = random.integer(DAY_SECONDS - burstSeconds);
    for (let n = 0; n < count; n++) {
      if (n > 0) seconds += 5 + random.integer(86);
      let terminalId = random.integer(terminalCount);
      while (reachable.includes(terminalId)) terminalId = random.integer(terminalCount);
      const amount = Math.round(random.between(CARD_TESTING_AMOUNT.min, CARD_TESTING_AMOUNT.max) * 100) / 100;
      payments.push({ customerId, terminalId, seconds, amount });
    }
  }
  return payments;
}

/** Everything compromised on `day` and still active: draws of the days `day - duration + 1` … `day` (never before day 0). */
function activeCompromises(draw: (day: number) => number[], day: number, duration: number): Set<number> {
  const active = new Set<number>();
  for (let from = Math.max(0, day - duration + 1); from <= day; from++) for (const id of draw(from)) active.add(id);
  return active;
}

type CheckedOptions = Required<Omit<SimulatorOptions, 'firstTransactionId' | 'drift'>> & Pick<SimulatorOptions, 'drift'> & { firstTransactionId: number };

function checkOptions(options: CheckedOptions): void {
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
  if (options.drift !== undefined) {
    const { fromMs, amountFactor } = options.drift;
    if (!Number.isInteger(fromMs / DAY_MS)) problems.push(`Expected \`drift.fromMs\` to be a UTC midnight, got ${fromMs}`);
    if (!(amountFactor > 0) || !Number.isFinite(amountFactor)) problems.push(`Expected \`drift.amountFactor\` to be a number > 0, got ${amountFactor}`);
  }
  if (problems.length > 0) throw new FraudstreamError('CONFIG_INVALID', problems.join('\n'));
}

/**
 * The Handbook's transaction simulator, one day at a time in event time. Every day has its own
 * random streams (derived from the seed and the day), so the data depend only on the seed and the
 * options. Scenario 3 picks each payment of a compromised customer with probability 1/3 as it is
 * generated (the Handbook samples a third of the 14 days' payments at once, which a stream cannot do:
 * the expected counts are the same). A `drift` changes the days from its own on (see SimulatorDrift);
 * the days before it are the same as without one.
 */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const settings = {
    customers: options.customers ?? simulatorDefaults.customers,
    terminals: options.terminals ?? simulatorDefaults.terminals,
    radius: options.radius ?? simulatorDefaults.radius,
    seed: options.seed ?? simulatorDefaults.seed,
    startMs: options.startMs ?? simulatorDefaults.startMs,
    firstTransactionId: options.firstTransactionId ?? 0,
    drift: options.drift,
  };
  checkOptions(settings);
  const { seed, startMs, drift } = settings;
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
    const drifted = drift !== undefined && dayStartMs >= drift.fromMs;
    const amountFactor = drifted ? drift.amountFactor : 1;

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
        // After the labels: a drift changes prices, not who commits fraud.
        if (amountFactor !== 1) amount = Math.max(0.01, Math.round(amount * amountFactor * 100) / 100);
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

    if (drifted && drift.cardTesting) {
      const channelRandom = new Random(seed, 'card-testing-extras', day);
      for (const payment of cardTestingOn(seed, day, customers, terminals.length)) {
        const customer = customers[payment.customerId] as CustomerProfile;
        const terminal = terminals[payment.terminalId] as TerminalProfile;
        times.push(payment.seconds);
        transactions.push({
          transactionId: '',
          timestampMs: dayStartMs + payment.seconds * 1000,
          customerId: customer.customerId,
          cardId: customer.cardId,
          terminalNumber: terminal.terminalId,
          terminalId: terminal.eventTerminalId,
          amount: payment.amount,
          fraud: true,
          scenario: 4,
          currency: 'EUR',
          merchantCategory: terminal.merchantCategory,
          channel: channelFor(terminal, payment.amount, channelRandom),
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
