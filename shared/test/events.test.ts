import { describe, expect, it } from 'vitest';
import {
  alertIdFor,
  deadLetterFor,
  decodeAlert,
  decodeDeadLetter,
  decodeLabel,
  decodeTransaction,
  encode,
  type Alert,
  type Label,
  type Transaction,
} from '@fraudstream/shared';

const transaction: Transaction = {
  schemaVersion: 1,
  transactionId: 'tx-000001',
  timestamp: '2018-04-01T00:00:31Z',
  cardId: 'card-00042',
  terminalId: 'term-03117',
  amount: 57.16,
  currency: 'EUR',
  merchantCategory: '5411',
  channel: 'pos',
  maskedPan: '411111******1111',
};

const label: Label = {
  schemaVersion: 1,
  transactionId: 'tx-000001',
  cardId: 'card-00042',
  terminalId: 'term-03117',
  transactionTimestamp: '2018-04-01T00:00:31Z',
  fraud: true,
  source: 'chargeback',
  labeledAt: '2018-04-08T00:00:31Z',
};

const alert: Alert = {
  schemaVersion: 1,
  alertId: alertIdFor(transaction.transactionId),
  transaction,
  score: 0.93,
  threshold: 0.5,
  modelVersion: '2018-08-01.1',
  reasons: [{ feature: 'TERMINAL_ID_RISK_7DAY_WINDOW', value: 0.8, typical: 0.004, contribution: 0.41 }],
  detectedAt: '2018-04-01T00:00:31.120Z',
};

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('Transaction', () => {
  it('round-trips through encode and decode', () => {
    expect(decodeTransaction(encode(transaction))).toEqual({ ok: true, value: transaction });
  });

  it('accepts a transaction without the optional fields', () => {
    const { merchantCategory: _m, channel: _c, maskedPan: _p, ...minimal } = transaction;
    expect(decodeTransaction(json(minimal)).ok).toBe(true);
  });

  it.each([
    ['transactionId', ''],
    ['transactionId', 42],
    ['timestamp', '2018-04-01 00:00:31'],
    ['timestamp', '2018-04-01T00:00:31+02:00'],
    ['cardId', '4111111111111111'],
    ['cardId', '4111 1111 1111 1111'],
    ['terminalId', 'has spaces'],
    ['amount', 0],
    ['amount', -5],
    ['amount', 10.001],
    ['amount', '10.00'],
    ['currency', 'eur'],
    ['currency', 'EURO'],
    ['merchantCategory', '54'],
    ['channel', 'carrier-pigeon'],
    ['maskedPan', '4111111111111111'],
  ])('rejects %s = %j naming the field', (field, value) => {
    const result = decodeTransaction(json({ ...transaction, [field]: value }));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('SCHEMA_VIOLATION');
      expect(result.error.path).toBe(field);
      expect(result.error.message.length).toBeGreaterThan(0);
    }
  });

  it.each(['transactionId', 'timestamp', 'cardId', 'terminalId', 'amount', 'currency'])('requires %s', (field) => {
    const result = decodeTransaction(json({ ...transaction, [field]: undefined }));
    expect(result).toMatchObject({ ok: false, error: { code: 'SCHEMA_VIOLATION', path: field } });
  });

  it('rejects unknown fields', () => {
    const result = decodeTransaction(json({ ...transaction, cvv: '123' }));
    expect(result).toMatchObject({ ok: false, error: { code: 'SCHEMA_VIOLATION' } });
  });

  it('reports malformed JSON without throwing', () => {
    expect(decodeTransaction(Buffer.from('{"transactionId": "tx-1",'))).toMatchObject({
      ok: false,
      error: { code: 'MALFORMED_JSON', path: '' },
    });
  });

  it('reports an empty message or tombstone', () => {
    expect(decodeTransaction(null)).toMatchObject({ ok: false, error: { code: 'EMPTY_MESSAGE' } });
    expect(decodeTransaction(Buffer.alloc(0))).toMatchObject({ ok: false, error: { code: 'EMPTY_MESSAGE' } });
  });

  it.each([['[]'], ['"a string"'], ['42'], ['null']])('rejects JSON that is not an object: %s', (text) => {
    expect(decodeTransaction(Buffer.from(text)).ok).toBe(false);
  });

  it('refuses other schema versions', () => {
    expect(decodeTransaction(json({ ...transaction, schemaVersion: 2 }))).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_VERSION', path: 'schemaVersion' },
    });
    expect(decodeTransaction(json({ ...transaction, schemaVersion: undefined }))).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_VERSION' },
    });
  });
});

describe('Label', () => {
  it('round-trips', () => {
    expect(decodeLabel(encode(label))).toEqual({ ok: true, value: label });
    const analyst = { ...label, source: 'analyst', fraud: false, note: 'customer confirmed' };
    expect(decodeLabel(json(analyst))).toEqual({ ok: true, value: analyst });
  });

  it.each([
    ['fraud', 'yes'],
    ['source', 'customer'],
    ['labeledAt', 'yesterday'],
    ['transactionTimestamp', 12345],
    ['cardId', '5500005555555559'],
  ])('rejects %s = %j', (field, value) => {
    expect(decodeLabel(json({ ...label, [field]: value }))).toMatchObject({ ok: false, error: { path: field } });
  });
});

describe('Alert', () => {
  it('round-trips', () => {
    expect(decodeAlert(encode(alert))).toEqual({ ok: true, value: alert });
  });

  it('names nested fields in the path', () => {
    const bad = { ...alert, transaction: { ...transaction, amount: -1 } };
    expect(decodeAlert(json(bad))).toMatchObject({ ok: false, error: { path: 'transaction.amount' } });
    const badReason = { ...alert, reasons: [{ ...alert.reasons[0], value: 'high' }] };
    expect(decodeAlert(json(badReason))).toMatchObject({ ok: false, error: { path: 'reasons[0].value' } });
  });

  it.each([['score', 1.5], ['threshold', -0.1], ['modelVersion', ''], ['alertId', 'not-an-id']])('rejects %s = %j', (field, value) => {
    expect(decodeAlert(json({ ...alert, [field]: value }))).toMatchObject({ ok: false, error: { path: field } });
  });

  it('derives the alert id deterministically from the transaction id', () => {
    expect(alertIdFor('tx-000001')).toBe(alertIdFor('tx-000001'));
    expect(alertIdFor('tx-000001')).not.toBe(alertIdFor('tx-000002'));
    expect(alertIdFor('tx-000001')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('DeadLetter', () => {
  it('keeps the original bytes and the reason', () => {
    const value = Buffer.from('{not json');
    const result = decodeTransaction(value);
    if (result.ok) throw new Error('expected a decode error');
    const letter = deadLetterFor({ value, key: Buffer.from('card-1'), topic: 'transactions', partition: 3, offset: '42' }, result.error, new Date(0));
    const decoded = decodeDeadLetter(encode(letter));
    expect(decoded).toEqual({ ok: true, value: letter });
    expect(Buffer.from(letter.originalValue ?? '', 'base64').toString()).toBe('{not json');
    expect(letter.error.code).toBe('MALFORMED_JSON');
  });

  it('rejects a bad offset', () => {
    const letter = deadLetterFor({ value: null, key: null, topic: 't', partition: 0, offset: '1' }, { code: 'EMPTY_MESSAGE', path: '', message: 'x' });
    expect(decodeDeadLetter(json({ ...letter, offset: '-1' }))).toMatchObject({ ok: false, error: { path: 'offset' } });
  });
});
