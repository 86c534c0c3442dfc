import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../src/features/names.js';
import { RuleFeatures, RuleTransaction, compileExpression, type RuleContext } from '../../src/rules/expression.js';
import type { Transaction } from '../../src/events.js';

const payment: Transaction = {
  schemaVersion: 1,
  transactionId: 'tx-1',
  timestamp: '2026-03-01T22:15:00.000Z', // a Sunday
  cardId: 'card-1',
  terminalId: 'term-1',
  amount: 150.5,
  currency: 'EUR',
  channel: 'ecommerce',
  maskedPan: '411111******1111',
};

const features = (overrides: Record<string, number> = {}): RuleFeatures =>
  new RuleFeatures(FEATURE_NAMES.map((name) => overrides[name] ?? 0));

const context = (over: Partial<RuleContext> = {}): RuleContext => ({
  tx: new RuleTransaction(payment),
  features: features({ CUSTOMER_ID_NB_TX_1DAY_WINDOW: 4 }),
  score: 0.7,
  lists: new Map([['blocked-cards', ['card-1', 'card-9']]]),
  ...over,
});

const compiled = (expression: string) => {
  const result = compileExpression(expression);
  if (!result.ok) throw new Error(`expected ${expression} to compile: ${result.error.message}`);
  return result.evaluate;
};

describe('compileExpression', () => {
  it.each([
    ['tx.amount > 100.0 && score > 0.5', true],
    ['tx.amount > 200', false],
    ['tx.cardId in lists["blocked-cards"]', true],
    ['tx.terminalId in lists["blocked-cards"]', false],
    ['features.CUSTOMER_ID_NB_TX_1DAY_WINDOW >= 3.0', true],
    ['tx.channel == "ecommerce" && tx.currency == "EUR"', true],
    ['tx.bin == "411111"', true],
    ['tx.hour >= 22 && tx.weekday == 7', true],
    ['tx.merchantCategory == ""', true],
    ['tx.cardId.startsWith("card-")', true],
  ])('%s is %s for the payment', (expression, expected) => {
    expect(compiled(expression)(context())).toBe(expected);
  });

  it.each([
    ['tx.nope == 1', 'nope', 1, 4],
    ['foo > 1', 'foo', 1, 1],
    ['tx.amount +', 'EOF', 1, 12],
    ['tx.amount > "x"', 'double > string', 1, 1],
    ['tx.amount > 1.0 &&\n  tx.foo', 'foo', 2, 6],
    ['features.NOT_A_FEATURE > 1.0', 'NOT_A_FEATURE', 1, 10],
  ])('refuses %j, naming %s at line %i, column %i', (expression, named, line, column) => {
    const result = compileExpression(expression);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toContain(named);
    expect({ line: result.error.line, column: result.error.column }).toEqual({ line, column });
  });

  it('refuses an expression that is not a bool', () => {
    const result = compileExpression('tx.amount * 2.0');
    expect(result).toMatchObject({ ok: false, error: { message: expect.stringContaining('got double') as unknown, line: 1, column: 1 } });
  });

  it('refuses an expression over the size limits', () => {
    const huge = Array.from({ length: 400 }, (_, i) => `tx.amount > ${i}.0`).join(' || ');
    expect(compileExpression(huge).ok).toBe(false);
  });

  it('throws at run time for a missing list, so the caller can count a failure', () => {
    expect(() => compiled('tx.cardId in lists["unknown"]')(context())).toThrow(/unknown/);
  });

  it('treats absent optional fields as empty strings and a BIN only from a masked PAN that has one', () => {
    const bare = new RuleTransaction({ ...payment, channel: undefined, maskedPan: '************1111' });
    expect(bare.channel).toBe('');
    expect(bare.bin).toBe('');
  });
});
