import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../src/features/names.js';
import { isFraudstreamError } from '../../src/errors.js';
import { RuleFeatures, RuleTransaction } from '../../src/rules/expression.js';
import { createRuleBook } from '../../src/rules/rule-book.js';
import type { NamedList, Rule } from '../../src/rules/schema.js';

const rule = (id: string, expression: string, over: Partial<Rule> = {}): Rule => ({
  schemaVersion: 1,
  id,
  version: 1,
  name: `Rule ${id}`,
  expression,
  action: 'review',
  mode: 'active',
  updatedAt: '2026-12-01T00:00:00Z',
  updatedBy: 'test',
  ...over,
});

const list = (name: string, items: string[], version = 1): NamedList => ({
  schemaVersion: 1,
  name,
  version,
  items,
  updatedAt: '2026-12-01T00:00:00Z',
  updatedBy: 'test',
});

const payment = (amount: number, cardId = 'card-1') => ({
  tx: new RuleTransaction({ schemaVersion: 1, transactionId: `tx-${amount}`, timestamp: '2026-12-01T10:00:00Z', cardId, terminalId: 'term-1', amount, currency: 'EUR' }),
  features: new RuleFeatures(FEATURE_NAMES.map(() => 0)),
  score: 0.2,
});

describe('createRuleBook', () => {
  it('reports active hits and shadow hits apart, in id order, and skips disabled rules', () => {
    const book = createRuleBook();
    book.putRule(rule('b-big', 'tx.amount > 100.0', { action: 'block' }));
    book.putRule(rule('a-big', 'tx.amount > 50.0'));
    book.putRule(rule('s-big', 'tx.amount > 10.0', { mode: 'shadow' }));
    book.putRule(rule('d-big', 'tx.amount > 1.0', { mode: 'disabled' }));
    const outcome = book.evaluate(payment(500));
    expect(outcome.hits.map((hit) => hit.ruleId)).toEqual(['a-big', 'b-big']);
    expect(outcome.shadowHits).toEqual([{ ruleId: 's-big', version: 1, name: 'Rule s-big', action: 'review' }]);
    expect(outcome.failures).toEqual([]);
    expect(book.evaluate(payment(5))).toEqual({ hits: [], shadowHits: [], failures: [] });
  });

  it('takes the latest version of a rule and forgets a deleted one', () => {
    const book = createRuleBook();
    book.putRule(rule('big', 'tx.amount > 100.0'));
    book.putRule(rule('big', 'tx.amount > 1000.0', { version: 2, name: 'Very big' }));
    expect(book.evaluate(payment(500)).hits).toEqual([]);
    expect(book.evaluate(payment(5000)).hits).toEqual([{ ruleId: 'big', version: 2, name: 'Very big', action: 'review' }]);
    book.deleteRule('big');
    expect(book.evaluate(payment(5000)).hits).toEqual([]);
    expect(book.rules()).toEqual([]);
  });

  it('reads lists as they are now', () => {
    const book = createRuleBook();
    book.putRule(rule('blocked', 'tx.cardId in lists["blocked-cards"]', { action: 'block' }));
    book.putList(list('blocked-cards', ['card-2']));
    expect(book.evaluate(payment(5)).hits).toEqual([]);
    book.putList(list('blocked-cards', ['card-1', 'card-2'], 2));
    expect(book.evaluate(payment(5)).hits.map((hit) => hit.ruleId)).toEqual(['blocked']);
    book.deleteList('blocked-cards');
    const outcome = book.evaluate(payment(5));
    expect(outcome.hits).toEqual([]);
    expect(outcome.failures).toEqual([{ ruleId: 'blocked', version: 1, message: expect.stringContaining('blocked-cards') as unknown }]);
  });

  it('counts a rule that fails at run time as a failure and still evaluates the others', () => {
    const book = createRuleBook();
    book.putRule(rule('a-fails', 'tx.cardId in lists["missing"]'));
    book.putRule(rule('b-hits', 'tx.amount > 1.0'));
    const outcome = book.evaluate(payment(5));
    expect(outcome.hits.map((hit) => hit.ruleId)).toEqual(['b-hits']);
    expect(outcome.failures.map((failure) => failure.ruleId)).toEqual(['a-fails']);
  });

  it('refuses a rule whose expression does not compile, keeping the version it had', () => {
    const book = createRuleBook();
    book.putRule(rule('big', 'tx.amount > 100.0'));
    let thrown: unknown;
    try {
      book.putRule(rule('big', 'tx.amount >', { version: 2 }));
    } catch (err) {
      thrown = err;
    }
    expect(isFraudstreamError(thrown, 'RULE_INVALID')).toBe(true);
    expect(String(thrown)).toMatch(/big v2: .* at line 1, column \d+/);
    expect(book.rules().map((r) => r.version)).toEqual([1]);
    expect(book.evaluate(payment(500)).hits).toHaveLength(1);
  });
});
