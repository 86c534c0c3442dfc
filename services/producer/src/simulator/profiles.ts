import type { Transaction } from '@fraudstream/shared';
import { cardIdFor, terminalIdFor } from '@fraudstream/shared';
import { Random } from './random.js';

/** Side of the square map on which customers and terminals live (the Handbook's 100 × 100 grid). */
export const GRID_SIZE = 100;

export interface CustomerProfile {
  customerId: number;
  cardId: string;
  x: number;
  y: number;
  meanAmount: number;
  stdAmount: number;
  meanTransactionsPerDay: number;
  /** Terminal ids closer than the radius, ascending; empty means the customer never pays. */
  reachableTerminals: Int32Array;
  /** Printed on receipts and shown to analysts; the full card number never exists in fraudstream. */
  maskedPan: string;
}

export type Channel = NonNullable<Transaction['channel']>;

export type TerminalKind = 'store' | 'online' | 'atm';

export interface TerminalProfile {
  terminalId: number;
  eventTerminalId: string;
  x: number;
  y: number;
  kind: TerminalKind;
  merchantCategory: string;
}

/** Card ranges (BINs) of the masked card numbers; they only label cards, nothing depends on them. */
const cardRanges = ['453201', '492181', '455673', '516732', '552461', '535110', '222300', '402400'] as const;

/** ISO 18245 merchant categories of the stores, with rough weights (groceries and restaurants dominate). */
const storeCategories: ReadonlyArray<readonly [string, number]> = [
  ['5411', 24], // grocery stores, supermarkets
  ['5812', 14], // restaurants
  ['5814', 10], // fast food
  ['5541', 8], // service stations
  ['5912', 6], // pharmacies
  ['5311', 5], // department stores
  ['5651', 5], // clothing
  ['5732', 3], // electronics
  ['5942', 2], // book stores
  ['4121', 3], // taxis
  ['4111', 4], // local transport
  ['7011', 2], // hotels
  ['5999', 6], // miscellaneous retail
];
const onlineCategories: ReadonlyArray<readonly [string, number]> = [
  ['5964', 5], // direct marketing, catalogue merchants
  ['5732', 2], // electronics
  ['4816', 2], // computer network services
  ['5815', 3], // digital goods
  ['4722', 1], // travel agencies
];

function weightedPick(random: Random, choices: ReadonlyArray<readonly [string, number]>): string {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let ticket = random.uniform() * total;
  for (const [value, weight] of choices) {
    ticket -= weight;
    if (ticket < 0) return value;
  }
  return (choices[choices.length - 1] as readonly [string, number])[0];
}

/**
 * Customer profiles as in the Handbook: location U(0, 100)², mean amount U(5, 100), standard deviation
 * half of it, mean transactions per day U(0, 4). Reachable terminals are filled in by `linkTerminals`.
 */
export function generateCustomers(count: number, seed: number): CustomerProfile[] {
  const random = new Random(seed, 'customers');
  const extras = new Random(seed, 'customer-extras');
  const customers: CustomerProfile[] = [];
  for (let customerId = 0; customerId < count; customerId++) {
    const x = random.between(0, GRID_SIZE);
    const y = random.between(0, GRID_SIZE);
    const meanAmount = random.between(5, 100);
    const meanTransactionsPerDay = random.between(0, 4);
    const range = cardRanges[extras.integer(cardRanges.length)] as string;
    const lastFour = String(extras.integer(10_000)).padStart(4, '0');
    customers.push({
      customerId,
      cardId: cardIdFor(customerId),
      x,
      y,
      meanAmount,
      stdAmount: meanAmount / 2,
      meanTransactionsPerDay,
      reachableTerminals: new Int32Array(0),
      maskedPan: `${range}******${lastFour}`,
    });
  }
  return customers;
}

/** Terminal profiles: location U(0, 100)² as in the Handbook, plus a kind and a merchant category. */
export function generateTerminals(count: number, seed: number): TerminalProfile[] {
  const random = new Random(seed, 'terminals');
  const extras = new Random(seed, 'terminal-extras');
  const terminals: TerminalProfile[] = [];
  for (let terminalId = 0; terminalId < count; terminalId++) {
    const x = random.between(0, GRID_SIZE);
    const y = random.between(0, GRID_SIZE);
    const draw = extras.uniform();
    const kind: TerminalKind = draw < 0.03 ? 'atm' : draw < 0.18 ? 'online' : 'store';
    const merchantCategory =
      kind === 'atm' ? '6011' : weightedPick(extras, kind === 'online' ? onlineCategories : storeCategories);
    terminals.push({ terminalId, eventTerminalId: terminalIdFor(terminalId), x, y, kind, merchantCategory });
  }
  return terminals;
}

/**
 * Gives each customer the terminals strictly closer than `radius` (Euclidean). Terminals are
 * bucketed in cells of side `radius`, so each customer only looks at the 3 × 3 cells around it.
 */
export function linkTerminals(customers: CustomerProfile[], terminals: TerminalProfile[], radius: number): void {
  const cellsPerSide = Math.max(1, Math.ceil(GRID_SIZE / radius));
  const cellOf = (coordinate: number): number => Math.min(cellsPerSide - 1, Math.max(0, Math.floor(coordinate / radius)));
  const cells: number[][] = Array.from({ length: cellsPerSide * cellsPerSide }, () => []);
  for (const terminal of terminals) cells[cellOf(terminal.y) * cellsPerSide + cellOf(terminal.x)]?.push(terminal.terminalId);
  const radiusSquared = radius * radius;
  for (const customer of customers) {
    const cx = cellOf(customer.x);
    const cy = cellOf(customer.y);
    const reachable: number[] = [];
    for (let y = Math.max(0, cy - 1); y <= Math.min(cellsPerSide - 1, cy + 1); y++) {
      for (let x = Math.max(0, cx - 1); x <= Math.min(cellsPerSide - 1, cx + 1); x++) {
        for (const terminalId of cells[y * cellsPerSide + x] ?? []) {
          const terminal = terminals[terminalId] as TerminalProfile;
          const dx = terminal.x - customer.x;
          const dy = terminal.y - customer.y;
          if (dx * dx + dy * dy < radiusSquared) reachable.push(terminalId);
        }
      }
    }
    customer.reachableTerminals = Int32Array.from(reachable.sort((a, b) => a - b));
  }
}

/** How a payment reached the terminal: ATMs and web shops have one way, stores take cards or taps. */
export function channelFor(terminal: TerminalProfile, amount: number, random: Random): Channel {
  if (terminal.kind === 'atm') return 'atm';
  if (terminal.kind === 'online') return random.uniform() < 0.05 ? 'moto' : 'ecommerce';
  // Tap-to-pay is capped at 50 per payment in most of the euro area.
  return amount <= 50 && random.uniform() < 0.7 ? 'contactless' : 'pos';
}
