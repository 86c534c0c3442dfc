import { describe, expect, it } from 'vitest';
import type { Rule } from '@fraudstream/shared';
import { createRuleRegistry } from '../../src/rules/registry.js';
import { adminToken, apiToken, memoryChannel, openTestPglite, testApp } from '../fixtures.js';

const admin = { authorization: `Bearer ${adminToken}` };

async function rulesApp() {
  const channel = memoryChannel();
  const registry = createRuleRegistry({ channel, now: () => new Date('2026-12-02T10:00:00Z') });
  const { app, store } = await testApp(openTestPglite, { rules: { registry, adminToken } });
  return { app, channel, store };
}

const cardTesting = { name: 'Card testing', expression: 'tx.amount < 2.0 && features.CUSTOMER_ID_HOURS_SINCE_PREVIOUS_TX < 0.1', action: 'review', mode: 'shadow' };

describe('rule routes', () => {
  it('creates a rule (201), changes it (200, version + 1), keeps the version of an unchanged PUT, and deletes it', async () => {
    const { app, channel } = await rulesApp();
    const created = await app.inject({ method: 'PUT', url: '/rules/card-testing', headers: admin, payload: cardTesting });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ schemaVersion: 1, id: 'card-testing', version: 1, ...cardTesting, updatedAt: '2026-12-02T10:00:00.000Z', updatedBy: 'admin' });
    expect(created.headers.etag).toBe('"1"');

    const changed = await app.inject({ method: 'PUT', url: '/rules/card-testing', headers: admin, payload: { ...cardTesting, mode: 'active' } });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ version: 2, mode: 'active' });
    const same = await app.inject({ method: 'PUT', url: '/rules/card-testing', headers: admin, payload: { ...cardTesting, mode: 'active' } });
    expect([same.statusCode, same.json<Rule>().version]).toEqual([200, 2]);
    expect(channel.published).toHaveLength(2);

    expect((await app.inject({ method: 'GET', url: '/rules', headers: admin })).json()).toMatchObject({ rules: [{ id: 'card-testing', version: 2 }] });
    expect((await app.inject({ method: 'GET', url: '/rules/card-testing', headers: admin })).json()).toMatchObject({ version: 2 });
    expect((await app.inject({ method: 'DELETE', url: '/rules/card-testing', headers: admin })).statusCode).toBe(204);
    expect(channel.published.at(-1)).toEqual({ kind: 'rule', id: 'card-testing', value: null });
    expect((await app.inject({ method: 'GET', url: '/rules/card-testing', headers: admin })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/rules/card-testing', headers: admin })).statusCode).toBe(404);
  });

  it('refuses an expression that does not compile with a 400 naming its position, publishing nothing', async () => {
    const { app, channel } = await rulesApp();
    const response = await app.inject({ method: 'PUT', url: '/rules/bad', headers: admin, payload: { ...cardTesting, expression: 'tx.amount > 1.0 &&\n  tx.nope' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ field: 'expression', position: { line: 2, column: 6 }, message: expect.stringContaining('nope') as unknown });
    expect(channel.published).toEqual([]);
  });

  it.each([
    ['/rules/Not%20A%20Slug', cardTesting, 'id'],
    ['/rules/x', { ...cardTesting, action: 'deny' }, 'action'],
    ['/rules/x', { ...cardTesting, extra: true }, ''],
    ['/rules/x', { ...cardTesting, name: '' }, 'name'],
  ])('answers 400 naming the field for PUT %s %j', async (url, payload, field) => {
    const { app } = await rulesApp();
    const response = await app.inject({ method: 'PUT', url, headers: admin, payload });
    expect(response.statusCode).toBe(400);
    if (field) expect(response.json<{ field: string }>().field).toBe(field);
  });

  it('wants the admin token: none is 401, the analysts’ token is 403', async () => {
    const { app } = await rulesApp();
    expect((await app.inject({ method: 'GET', url: '/rules' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/rules', headers: { authorization: `Bearer ${apiToken}` } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url: '/lists/x', headers: { authorization: `Bearer ${apiToken}` }, payload: { items: [] } })).statusCode).toBe(403);
  });

  it("serves the rules' hits of the last hour and day to the admin token, and 503 while the store cannot answer", async () => {
    const { app, store } = await rulesApp();
    const at = new Date(Date.now() - 60_000).toISOString();
    await store.ruleHits.add('fraud.rule-hits', 0, [
      { offset: '0', counts: { schemaVersion: 1, detectedAt: at, payments: 40, rules: [{ ruleId: 'card-testing', version: 3, action: 'review', mode: 'shadow', hits: 2, errors: 1 }] } },
    ]);
    expect((await app.inject({ method: 'GET', url: '/rule-hits' })).statusCode).toBe(401);
    const response = await app.inject({ method: 'GET', url: '/rule-hits', headers: admin });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      payments: { lastHour: 40, lastDay: 40 },
      rules: [{ ruleId: 'card-testing', version: 3, mode: 'shadow', action: 'review', lastHour: { hits: 2, errors: 1 }, lastDay: { hits: 2, errors: 1 } }],
    });
    await store.close();
    expect((await app.inject({ method: 'GET', url: '/rule-hits', headers: admin })).statusCode).toBe(503);
  });

  it('changes only the version If-Match names (412 otherwise)', async () => {
    const { app } = await rulesApp();
    await app.inject({ method: 'PUT', url: '/rules/r', headers: admin, payload: cardTesting });
    const stale = await app.inject({ method: 'PUT', url: '/rules/r', headers: { ...admin, 'if-match': '"0"' }, payload: { ...cardTesting, name: 'x' } });
    expect(stale.statusCode).toBe(412);
    const fresh = await app.inject({ method: 'PUT', url: '/rules/r', headers: { ...admin, 'if-match': '"1"' }, payload: { ...cardTesting, name: 'x' } });
    expect(fresh.json()).toMatchObject({ version: 2, name: 'x' });
  });

  it('answers 503 while the control topics cannot be written, and changes nothing', async () => {
    const { app, channel } = await rulesApp();
    channel.down = true;
    const response = await app.inject({ method: 'PUT', url: '/rules/r', headers: admin, payload: cardTesting });
    expect(response.statusCode).toBe(503);
    expect(response.json<{ message: string }>().message).toContain('broker unreachable');
    expect(channel.published).toEqual([]);
  });

  it('keeps named lists: summary without items, a list in full, a card number refused', async () => {
    const { app } = await rulesApp();
    const put = await app.inject({ method: 'PUT', url: '/lists/blocked-cards', headers: admin, payload: { items: ['card-1', 'card-2'] } });
    expect(put.statusCode).toBe(201);
    expect((await app.inject({ method: 'GET', url: '/lists', headers: admin })).json()).toEqual({
      lists: [{ schemaVersion: 1, name: 'blocked-cards', version: 1, size: 2, updatedAt: '2026-12-02T10:00:00.000Z', updatedBy: 'admin' }],
    });
    expect((await app.inject({ method: 'GET', url: '/lists/blocked-cards', headers: admin })).json()).toMatchObject({ items: ['card-1', 'card-2'] });
    const pan = await app.inject({ method: 'PUT', url: '/lists/blocked-cards', headers: admin, payload: { items: ['4111111111111111'] } });
    expect(pan.statusCode).toBe(400);
    expect(pan.body).not.toContain('4111111111111111');
    expect((await app.inject({ method: 'DELETE', url: '/lists/blocked-cards', headers: admin })).statusCode).toBe(204);
  });

  it('is in the OpenAPI document', async () => {
    const { app } = await rulesApp();
    const paths = Object.keys((await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(expect.arrayContaining(['/rules', '/rules/{id}', '/lists', '/lists/{name}']));
  });
});
