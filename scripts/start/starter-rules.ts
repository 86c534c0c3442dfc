import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FraudstreamError } from '@fraudstream/shared';
import { ListsFile, RulesFile } from '@fraudstream/shared/rules';

/** The rules a team starts from (all in shadow mode) and the lists they use, in the repository's rules/. */
export const STARTER_RULES = join(import.meta.dirname, '../../rules/starter-rules.json');
export const STARTER_LISTS = join(import.meta.dirname, '../../rules/starter-lists.json');

async function readFileAs<T>(path: string, schema: { parse(value: unknown): T }): Promise<T> {
  return schema.parse(JSON.parse(await readFile(path, 'utf8')));
}

/**
 * Puts the starter lists, then the starter rules, through the alerts service's admin API, as an
 * administrator would: each is type-checked and published to the control topics, which every detector
 * reads before it joins its group. Fails with the service's answer when one is refused.
 */
export async function seedStarterRules(alertsUrl: string, adminToken: string): Promise<{ rules: number; lists: number }> {
  const [rules, lists] = await Promise.all([readFileAs(STARTER_RULES, RulesFile), readFileAs(STARTER_LISTS, ListsFile)]);
  const put = async (path: string, body: unknown): Promise<void> => {
    const response = await fetch(`${alertsUrl}${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new FraudstreamError('RULE_INVALID', `PUT ${path} answered ${response.status}: ${await response.text()}`);
  };
  for (const [name, items] of Object.entries(lists)) await put(`/lists/${name}`, { items });
  for (const { id, ...definition } of rules) await put(`/rules/${id}`, definition);
  return { rules: rules.length, lists: Object.keys(lists).length };
}
