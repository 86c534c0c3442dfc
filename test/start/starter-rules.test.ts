import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileExpression, ListsFile, RulesFile } from '@fraudstream/shared/rules';
import { seedStarterRules, STARTER_LISTS, STARTER_RULES } from '../../scripts/start/starter-rules.js';
import { createRuleRegistry } from '../../services/alerts/src/rules/registry.js';
import { adminToken, memoryChannel, openTestPglite, testApp } from '../../services/alerts/test/fixtures.js';

describe('starter rules', () => {
  it('are valid rules files, every expression compiles, and every rule starts in shadow mode', () => {
    const rules = RulesFile.parse(JSON.parse(readFileSync(STARTER_RULES, 'utf8')));
    const lists = ListsFile.parse(JSON.parse(readFileSync(STARTER_LISTS, 'utf8')));
    expect(rules.map((rule) => rule.id)).toEqual(['card-testing', 'blocked-cards', 'amount-ceiling']);
    for (const rule of rules) {
      expect(compileExpression(rule.expression), rule.id).toMatchObject({ ok: true });
      expect(rule.mode).toBe('shadow');
    }
    expect(Object.keys(lists)).toEqual(['blocked-cards']);
  });

  it('are put through the admin API, lists first, and a refusal names the rule', async () => {
    const channel = memoryChannel();
    const registry = createRuleRegistry({ channel });
    const { app } = await testApp(openTestPglite, { rules: { registry, adminToken } });
    const url = (await app.listen({ port: 0, host: '127.0.0.1' })).replace(/\/$/, '');
    expect(await seedStarterRules(url, adminToken)).toEqual({ rules: 3, lists: 1 });
    expect(channel.published.map((event) => `${event.kind} ${event.id}`)).toEqual(['list blocked-cards', 'rule card-testing', 'rule blocked-cards', 'rule amount-ceiling']);
    expect([...channel.current().rules.values()].every((rule) => rule.mode === 'shadow' && rule.updatedBy === 'admin')).toBe(true);

    await expect(seedStarterRules(url, 'not-the-admin-token-0123456789')).rejects.toThrow(/PUT \/lists\/blocked-cards answered 40[13]/);
  });
});
