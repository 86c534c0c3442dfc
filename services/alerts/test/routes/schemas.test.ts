import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeTransaction, eventJsonSchemas } from '@fraudstream/shared';
import { openTestPglite, testApp } from '../fixtures.js';

const contract = readFileSync(new URL('../../../../docs/input-contract.md', import.meta.url), 'utf8');

describe('the input contract, served', () => {
  it('serves the JSON Schemas generated from the zod schemas the services validate with', async () => {
    const { app } = await testApp(openTestPglite);
    for (const event of ['transaction', 'label'] as const) {
      const response = await app.inject({ url: `/schemas/${event}.json` });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/schema\+json/);
      expect(response.json()).toEqual(eventJsonSchemas()[event]);
    }
    expect((await app.inject({ url: '/schemas/alert.json' })).statusCode).toBe(400);
  });

  it('agrees with docs/input-contract.md: its table lists exactly the schema’s fields, required ones without "optional"', () => {
    const schema = eventJsonSchemas().transaction as { properties: Record<string, unknown>; required: string[] };
    const rows = [...contract.matchAll(/^\| `(\w+)` \| (.*) \|$/gm)].map(([, field, rule]) => ({ field: field!, optional: rule!.startsWith('optional') }));
    expect(rows.map(({ field }) => field).sort()).toEqual(Object.keys(schema.properties).sort());
    expect(rows.filter(({ optional }) => !optional).map(({ field }) => field).sort()).toEqual([...schema.required].sort());
  });

  it('accepts what its description promises: unknown fields kept', () => {
    const sent = { schemaVersion: 1, transactionId: 't 1', timestamp: '2026-03-01T10:00:00+01:00', cardId: 'c', terminalId: 't', amount: 0, currency: 'KWD', posEntryMode: 'chip' };
    expect(decodeTransaction(JSON.stringify(sent))).toEqual({ ok: true, value: { ...sent, timestamp: '2026-03-01T09:00:00.000Z' } });
  });
});
