import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../src/features/names.js';
import { RuleFeatures, RuleTransaction, compileExpression, type RuleContext } from '../../src/rules/expression.js';

/** Expressions of the fast path's subset, by CEL type, with an error source (a list that may not exist). */
const { bool } = fc.letrec<{ double: string; int: string; string: string; bool: string }>((tie) => ({
  double: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('tx.amount', 'score', 'features.TX_AMOUNT', 'features.CUSTOMER_ID_NB_TX_1DAY_WINDOW', '0.0', '2.5', '100.0', '1e3'),
    fc.tuple(tie('double'), fc.constantFrom('+', '-', '*', '/'), tie('double')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('double').map((a) => `-(${a})`),
  ),
  int: fc.constantFrom('tx.hour', 'tx.weekday', '0', '7', '22', '-3'),
  string: fc.constantFrom('tx.cardId', 'tx.channel', 'tx.bin', 'tx.merchantCategory', '"card-1"', '"web"', '""', '"411111"', '"é"'),
  bool: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('true', 'false'),
    fc.tuple(fc.oneof(tie('double'), tie('int')), fc.constantFrom('<', '<=', '>', '>=', '==', '!='), fc.oneof(tie('double'), tie('int'))).map(
      ([a, op, b]) => `(${a} ${op} ${b})`,
    ),
    fc.tuple(tie('string'), fc.constantFrom('==', '!='), tie('string')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(tie('string'), fc.constantFrom('startsWith', 'endsWith', 'contains'), tie('string')).map(([s, m, a]) => `${s}.${m}(${a})`),
    fc.tuple(tie('string'), fc.constantFrom('"blocked"', '"missing"')).map(([s, list]) => `(${s} in lists[${list}])`),
    tie('bool').map((b) => `!(${b})`),
    fc.tuple(tie('bool'), fc.constantFrom('&&', '||'), tie('bool')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    fc.tuple(tie('bool'), tie('bool'), tie('bool')).map(([c, t, e]) => `(${c} ? ${t} : ${e})`),
  ),
}));

const context: fc.Arbitrary<RuleContext> = fc
  .record({
    amount: fc.oneof(fc.constantFrom(0, 2.5, 100, 1000), fc.double({ min: 0, max: 1e6, noNaN: true })),
    score: fc.double({ min: 0, max: 1, noNaN: true }),
    hour: fc.integer({ min: 0, max: 23 }),
    cardId: fc.constantFrom('card-1', 'card-2', 'é'),
    channel: fc.constantFrom('web', 'pos', undefined),
    maskedPan: fc.constantFrom('411111******1111', '************1111', undefined),
    features: fc.array(fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constantFrom(0, 1, 2.5)), { minLength: FEATURE_NAMES.length, maxLength: FEATURE_NAMES.length }),
    blocked: fc.subarray(['card-1', 'é', 'web', '']),
  })
  .map(({ amount, score, hour, cardId, channel, maskedPan, features, blocked }) => ({
    tx: new RuleTransaction({
      schemaVersion: 1,
      transactionId: 'tx-1',
      timestamp: new Date(Date.UTC(2026, 2, 1, hour)).toISOString(),
      cardId,
      terminalId: 'term-1',
      amount,
      currency: 'EUR',
      ...(channel ? { channel } : {}),
      ...(maskedPan ? { maskedPan } : {}),
    }),
    features: new RuleFeatures(features),
    score,
    lists: new Map([['blocked', blocked]]),
  }));

type Outcome = { value: boolean } | { error: true };
const outcomeOf = (evaluate: (c: RuleContext) => boolean, c: RuleContext): Outcome => {
  try {
    return { value: evaluate(c) };
  } catch {
    return { error: true };
  }
};

describe('the fast path', () => {
  it('gives the library evaluator’s result, errors included, on every expression of its subset', () => {
    let checked = 0;
    let onFastPath = 0;
    fc.assert(
      fc.property(bool, fc.array(context, { minLength: 1, maxLength: 5 }), (expression, contexts) => {
        const fast = compileExpression(expression);
        const library = compileExpression(expression, { fast: false });
        if (!library.ok) {
          expect(fast.ok).toBe(false); // refused by the checker (e.g. double == int literal types): the same either way
          return;
        }
        expect(fast).toMatchObject({ ok: true });
        if (!fast.ok) return;
        checked += 1;
        if (fast.fast) onFastPath += 1;
        for (const c of contexts) expect(outcomeOf(fast.evaluate, c)).toEqual(outcomeOf(library.evaluate, c));
      }),
      { numRuns: 2_000 },
    );
    expect(checked).toBeGreaterThan(1_000);
    expect(onFastPath / checked).toBeGreaterThan(0.9);
  });

  it('takes the usual rule shapes and leaves the rest to the library', () => {
    const fast = (expression: string): boolean => {
      const compiled = compileExpression(expression);
      if (!compiled.ok) throw new Error(compiled.error.message);
      return compiled.fast;
    };
    expect(fast('tx.amount > 1000.0 && tx.channel == "ecommerce"')).toBe(true);
    expect(fast('tx.cardId in lists["blocked-cards"] || score > 0.9')).toBe(true);
    expect(fast('features.CUSTOMER_ID_NB_TX_1DAY_WINDOW >= 5.0 ? tx.amount < 2.0 : false')).toBe(true);
    expect(fast('tx.hour + 1 > 23')).toBe(false); // int arithmetic
    expect(fast('tx.channel < "m"')).toBe(false); // string ordering
    expect(fast('size(tx.cardId) > 3')).toBe(false);
    expect(fast('[1.0, 2.0].exists(x, x > tx.amount)')).toBe(false);
  });

  it('never puts rule text into code: a literal that looks like code stays a string', () => {
    const text = '"); process.exit(1); ("';
    const compiled = compileExpression(`tx.cardId == ${JSON.stringify(text)}`);
    expect(compiled).toMatchObject({ ok: true, fast: true });
    if (!compiled.ok) return;
    const payment = (cardId: string): RuleContext => ({
      tx: new RuleTransaction({ schemaVersion: 1, transactionId: 't', timestamp: '2026-03-01T00:00:00Z', cardId, terminalId: 'x', amount: 1, currency: 'EUR' }),
      features: new RuleFeatures([]),
      score: 0,
      lists: new Map(),
    });
    expect(compiled.evaluate(payment(text))).toBe(true);
    expect(compiled.evaluate(payment('card-1'))).toBe(false);
  });
});
