import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import type { Transaction } from '../events.js';
import { FEATURE_NAMES } from '../features/names.js';
import { fastPath } from './fast-path.js';

/**
 * CEL (the Common Expression Language) for rules, through @marcbachmann/cel-js: it type-checks an
 * expression against declared variables and object fields before anything runs, reports the position
 * of a mistake, compiles once into a function, and bounds what an expression may be (no loops, no side
 * effects, limits on size and depth). (@bufbuild/cel does not export its checker yet.)
 *
 * Variables: `tx` (the payment), `features` (the engine's features of this payment, by name), `score`
 * (the model's score, 0..1) and `lists` (list name → its items).
 */

/**
 * The payment as a rule sees it: the contract's fields, with optional ones as "" when absent. Fields
 * are read from the payment when a rule asks for them (most rules read two or three), so a payment
 * costs no date parsing unless a rule reads its hour or weekday.
 */
export class RuleTransaction {
  readonly #tx: Transaction;
  #at: Date | undefined;

  constructor(tx: Transaction) {
    this.#tx = tx;
  }
  get transactionId(): string {
    return this.#tx.transactionId;
  }
  get timestamp(): string {
    return this.#tx.timestamp;
  }
  get cardId(): string {
    return this.#tx.cardId;
  }
  get terminalId(): string {
    return this.#tx.terminalId;
  }
  get amount(): number {
    return this.#tx.amount;
  }
  get currency(): string {
    return this.#tx.currency;
  }
  get merchantCategory(): string {
    return this.#tx.merchantCategory ?? '';
  }
  get channel(): string {
    return this.#tx.channel ?? '';
  }
  /** The card's BIN: the first 6 digits of maskedPan when it has them, else "". */
  get bin(): string {
    const pan = this.#tx.maskedPan ?? '';
    return /^\d{6}/.test(pan) ? pan.slice(0, 6) : '';
  }
  /** The UTC hour of the payment, 0..23 (a CEL int). */
  get hour(): bigint {
    return BigInt(this.#date().getUTCHours());
  }
  /** The UTC day of the week, 1 (Monday) .. 7 (Sunday) (a CEL int). */
  get weekday(): bigint {
    const day = this.#date().getUTCDay();
    return BigInt(day === 0 ? 7 : day);
  }
  #date(): Date {
    return (this.#at ??= new Date(this.#tx.timestamp));
  }
}

const TRANSACTION_FIELDS = {
  transactionId: 'string',
  timestamp: 'string',
  cardId: 'string',
  terminalId: 'string',
  amount: 'double',
  currency: 'string',
  merchantCategory: 'string',
  channel: 'string',
  bin: 'string',
  hour: 'int',
  weekday: 'int',
} as const satisfies Record<keyof RuleTransaction, string>;

/**
 * The engine's features of one payment, one double per name of FEATURE_NAMES. The values stay where
 * the engine wrote them (the fast path reads them by index); the names are getters on the prototype,
 * defined once, for the library's evaluator — nothing is copied per payment.
 */
export class RuleFeatures {
  constructor(readonly values: ArrayLike<number>) {}
}
FEATURE_NAMES.forEach((name, index) => {
  Object.defineProperty(RuleFeatures.prototype, name, {
    get(this: RuleFeatures) {
      return this.values[index] ?? Number.NaN;
    },
  });
});

/** What one evaluation of a rule reads. */
export interface RuleContext {
  tx: RuleTransaction;
  features: RuleFeatures;
  score: number;
  lists: ReadonlyMap<string, readonly string[]>;
}

/** Bounds on what a rule may be, checked when it is compiled. */
const LIMITS = { maxAstNodes: 500, maxDepth: 32, maxListElements: 1_000, maxMapEntries: 100, maxCallArguments: 8 };

function ruleEnvironment(): Environment {
  return new Environment({ limits: LIMITS })
    .registerType('Transaction', { ctor: RuleTransaction, fields: TRANSACTION_FIELDS })
    .registerType('Features', { ctor: RuleFeatures, fields: Object.fromEntries(FEATURE_NAMES.map((name) => [name, 'double'])) })
    .registerVariable('tx', 'Transaction', { description: 'The payment' })
    .registerVariable('features', 'Features', { description: "The engine's features of this payment" })
    .registerVariable('score', 'double', { description: "The model's score, 0..1" })
    .registerVariable('lists', 'map<string, list<string>>', { description: 'Named lists: name → items' });
}

const environment = ruleEnvironment();

/** Where an expression is wrong: a message and its place (offset from 0; line and column from 1). */
export interface ExpressionError {
  message: string;
  offset: number;
  line: number;
  column: number;
}

export type CompiledExpression = (context: RuleContext) => boolean;

/** `fast` says whether the expression runs on the fast path (see fast-path.ts) or the library's evaluator. */
export type CompileResult = { ok: true; evaluate: CompiledExpression; fast: boolean } | { ok: false; error: ExpressionError };

function positionOf(expression: string, offset: number): { line: number; column: number } {
  const before = expression.slice(0, Math.max(0, Math.min(offset, expression.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1 };
}

function expressionError(expression: string, err: unknown): ExpressionError {
  const located = err as { summary?: unknown; message?: unknown; node?: { pos?: unknown } };
  const summary = typeof located.summary === 'string' ? located.summary : String(located.message ?? err);
  const offset = typeof located.node?.pos === 'number' ? located.node.pos : 0;
  return { message: summary, offset, ...positionOf(expression, offset) };
}

/**
 * Type-checks `expression` and compiles it once. Refused: a syntax error, an unknown variable or field,
 * an operator on the wrong types, an expression over the limits, or one whose type is not bool.
 * `{ fast: false }` keeps the library's evaluator (the parity test compares the two).
 */
export function compileExpression(expression: string, { fast = true } = {}): CompileResult {
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = environment.parse(expression);
  } catch (err) {
    return { ok: false, error: expressionError(expression, err) };
  }
  const checked = parsed.check();
  if (!checked.valid) return { ok: false, error: expressionError(expression, checked.error) };
  if (checked.type !== 'bool') {
    const root: ASTNode = parsed.ast;
    return {
      ok: false,
      error: { message: `must be of type bool (true when the rule matches), got ${checked.type ?? 'unknown'}`, offset: root.start, ...positionOf(expression, root.start) },
    };
  }
  const quick = fast ? fastPath(parsed.ast, TRANSACTION_FIELDS) : undefined;
  return quick ? { ok: true, evaluate: quick, fast: true } : { ok: true, evaluate: (context) => parsed(context) === true, fast: false };
}
