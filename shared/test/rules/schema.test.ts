import { describe, expect, it } from 'vitest';
import { NamedList, Rule, RuleDefinition } from '../../src/rules/schema.js';

const valid = {
  schemaVersion: 1,
  id: 'card-testing',
  version: 3,
  name: 'Card testing',
  expression: 'tx.amount < 2.0',
  action: 'review',
  mode: 'shadow',
  updatedAt: '2026-12-01T00:00:00Z',
  updatedBy: 'admin',
};

describe('rule schemas', () => {
  it('accepts a rule event and a definition', () => {
    expect(Rule.parse(valid)).toEqual(valid);
    expect(RuleDefinition.parse({ name: ' Card testing ', expression: 'true', action: 'allow', mode: 'active' }).name).toBe('Card testing');
  });

  it.each([
    [{ id: 'Card Testing' }, 'id'],
    [{ id: '-x' }, 'id'],
    [{ version: 0 }, 'version'],
    [{ action: 'deny' }, 'action'],
    [{ mode: 'on' }, 'mode'],
    [{ expression: '' }, 'expression'],
    [{ extra: 1 }, ''],
  ])('refuses %j, naming %s', (change, path) => {
    const result = Rule.safeParse({ ...valid, ...change });
    expect(result.success).toBe(false);
    if (!result.success && path) expect(result.error.issues[0]?.path).toEqual([path]);
  });

  it('refuses a list holding a full card number', () => {
    const list = { schemaVersion: 1, name: 'blocked-cards', version: 1, items: ['card-1', '4111111111111111'], updatedAt: '2026-12-01T00:00:00Z', updatedBy: 'admin' };
    const result = NamedList.safeParse(list);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error.issues[0]).toMatchObject({ path: ['items', 1], message: expect.stringContaining('card number') as unknown });
  });
});
