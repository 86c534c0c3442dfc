import { z } from 'zod';
import { Label, Transaction } from './events.js';

/**
 * What the JSON Schema cannot say, and every reader of the contract must know (docs/input-contract.md
 * says the same).
 */
const RULES =
  'A tolerant reader: fields not listed here are accepted and kept as sent, except that any card number ' +
  'in them is masked. Refused (dead-lettered with the reason): an id whose digits form a full card number ' +
  '(12–19 digits, Luhn-valid, however separated), an amount with more decimals than its currency has, a ' +
  'timestamp outside the years 1970–9999, and a message over 64 KiB. A byte order mark before the JSON is ignored.';

/** The JSON Schemas (draft 2020-12) of the events fraudstream reads, generated from the zod schemas it validates with. */
export function eventJsonSchemas(): Record<'transaction' | 'label', Record<string, unknown>> {
  const schema = (type: z.ZodType, title: string, description: string) => ({
    ...z.toJSONSchema(type, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }),
    title,
    description: `${description} ${RULES}`,
  });
  return {
    transaction: schema(Transaction, 'fraudstream Transaction v1', 'A card payment on the `transactions` topic, keyed by cardId.'),
    label: schema(Label, 'fraudstream Label v1', 'A verdict on a payment (chargeback or analyst) on the `fraud.labels` topic, keyed by cardId.'),
  };
}
