import { describe, expect, it } from 'vitest';
import { eventJsonSchemas } from '../src/contract.js';
import { Label, Transaction } from '../src/events.js';
import { sampleLabel, sampleTransaction } from './support/events.js';

const transaction = sampleTransaction;
const label = { ...sampleLabel, note: 'confirmed by the issuer' };

const without = (event: Record<string, unknown>, field: string): Record<string, unknown> =>
  Object.fromEntries(Object.entries(event).filter(([key]) => key !== field));

describe('eventJsonSchemas', () => {
  const schemas = eventJsonSchemas();

  it('gives a draft 2020-12 object schema per event, titled and with the rules the schema cannot say', () => {
    expect(Object.keys(schemas).sort()).toEqual(['label', 'transaction']);
    expect(schemas.transaction).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      title: 'fraudstream Transaction v1',
    });
    expect(schemas.label).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', title: 'fraudstream Label v1' });
    for (const schema of Object.values(schemas)) {
      expect(schema['description']).toMatch(/keyed by cardId\. A tolerant reader/);
      expect(schema['description']).toMatch(/Luhn-valid/);
      expect(schema['description']).toMatch(/64 KiB/);
    }
  });

  it('lets unknown fields through, as the tolerant reader does', () => {
    expect(schemas.transaction['additionalProperties']).toEqual({});
    expect(Transaction.safeParse({ ...transaction, loyaltyTier: 'gold' }).success).toBe(true);
  });

  it.each([
    ['transaction', Transaction, transaction],
    ['label', Label, label],
  ] as const)('lists as required exactly the %s fields the validator refuses to go without', (name, schema, event) => {
    const json = schemas[name];
    const properties = Object.keys(json['properties'] as Record<string, unknown>);
    expect(properties.sort()).toEqual(Object.keys(event).sort());
    expect(schema.safeParse(event).success).toBe(true);
    const refusedWithout = properties.filter((field) => !schema.safeParse(without(event, field)).success);
    expect([...(json['required'] as string[])].sort()).toEqual(refusedWithout.sort());
  });
});
