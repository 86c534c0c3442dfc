import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  alertIdFor,
  deadLetterFor,
  deadLetterKey,
  decodeAlert,
  decodeDeadLetter,
  decodeLabel,
  decodeTransaction,
  encode,
  type Alert,
  type Label,
  type Transaction,
} from '@fraudstream/shared';
import { sampleLabel, sampleTransaction } from './support/events.js';

const transaction: Transaction = sampleTransaction;
const label: Label = sampleLabel;

const alert: Alert = {
  schemaVersion: 1,
  alertId: alertIdFor(transaction),
  transaction,
  score: 0.93,
  threshold: 0.5,
  modelVersion: '2018-08-01.1',
  reasons: [{ feature: 'TERMINAL_ID_RISK_7DAY_WINDOW', value: 0.8, typical: 0.004, contribution: 0.41 }],
  decision: 'block',
  ruleHits: [{ ruleId: 'blocked-cards', version: 2, name: 'Blocked cards', action: 'block' }],
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
    ['timestamp', '0000-01-01T00:00:00Z'],
    ['timestamp', '1969-12-31T23:59:59Z'],
    ['cardId', '4111111111111111'],
    ['cardId', '4111 1111 1111 1111'],
    ['cardId', '4111.1111.1111.1111'],
    ['cardId', 'card-4111111111111111'],
    ['transactionId', '4111111111111111'],
    ['terminalId', '5500000000000004'],
    ['terminalId', ' leading-space'],
    ['terminalId', 'quote"d'],
    ['terminalId', 'comma,separated'],
    ['amount', -5],
    ['amount', 10.001],
    ['currency', 'ABC'],
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

  it.each([
    ['a $0.00 verification', { amount: 0 }],
    ['three decimals in a 3-decimal currency', { amount: 12.345, currency: 'KWD' }],
    ['a whole amount in a 0-decimal currency', { amount: 1500, currency: 'JPY' }],
    ['a new channel', { channel: 'recurring' }],
    ['a masked PAN with an 8-digit BIN', { maskedPan: '41111111****1111' }],
    ['a masked PAN with the last four only', { maskedPan: '************1111' }],
    ['ids with / and spaces', { transactionId: 'auth/2026 11 30/0001', terminalId: 'shop 12/till 3' }],
    ['our own zero-padded ids', { transactionId: '000000000042' }],
  ])('accepts %s', (_case, fields) => {
    const result = decodeTransaction(json({ ...transaction, ...fields }));
    expect(result).toEqual({ ok: true, value: { ...transaction, ...fields } });
  });

  it.each([
    [{ amount: 10.5, currency: 'JPY' }, 'must have at most 0 decimal places in JPY'],
    [{ amount: 1.2345, currency: 'KWD' }, 'must have at most 3 decimal places in KWD'],
  ])('refuses more decimals than the currency has: %j', (fields, message) => {
    expect(decodeTransaction(json({ ...transaction, ...fields }))).toMatchObject({ ok: false, error: { path: 'amount', message } });
  });

  it('reads a timestamp with an offset as UTC', () => {
    const result = decodeTransaction(json({ ...transaction, timestamp: '2018-04-01T02:00:31.123456+02:00' }));
    expect(result).toMatchObject({ ok: true, value: { timestamp: '2018-04-01T00:00:31.123Z' } });
  });

  it('keeps unknown fields as they came (a tolerant reader)', () => {
    const extra = { posEntryMode: 'chip', acquirer: { id: 'acq-7', country: 'DE' }, tags: ['a', 1] };
    expect(decodeTransaction(json({ ...transaction, ...extra }))).toEqual({ ok: true, value: { ...transaction, ...extra } });
  });

  it('masks a card number in an unknown field, name or value, at any depth', () => {
    const result = decodeTransaction(json({ ...transaction, pan: '4111 1111 1111 1111', raw: { track: ['x4111111111111111x'] }, '5500000000000004': 1 }));
    expect(result).toEqual({
      ok: true,
      value: { ...transaction, pan: '4111 11** **** 1111', raw: { track: ['x411111******1111x'] }, '550000******0004': 1 },
    });
    expect(JSON.stringify(result)).not.toMatch(/4111111111111111|5500000000000004|4111 1111 1111 1111/);
  });

  it('reads JSON behind a byte order mark', () => {
    expect(decodeTransaction(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), encode(transaction)]))).toEqual({ ok: true, value: transaction });
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

  it('derives the alert id deterministically from the payment: transaction id and card', () => {
    const payment = { transactionId: 'tx-000001', cardId: 'card-1' };
    expect(alertIdFor(payment)).toBe(alertIdFor({ ...payment }));
    expect(alertIdFor(payment)).not.toBe(alertIdFor({ ...payment, transactionId: 'tx-000002' }));
    // Two cards' payments may share a transaction id: two alerts.
    expect(alertIdFor(payment)).not.toBe(alertIdFor({ ...payment, cardId: 'card-2' }));
    expect(alertIdFor({ transactionId: 'a b', cardId: 'c' })).not.toBe(alertIdFor({ transactionId: 'b', cardId: 'c a' }));
    expect(alertIdFor(payment)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
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

  it('never carries a card number in clear: value and key masked, hashes of the masked bytes', () => {
    const value = Buffer.from(JSON.stringify({ ...transaction, cardId: '4111 1111 1111 1111', padding: 'x'.repeat(70_000) }));
    const result = decodeTransaction(value);
    if (result.ok) throw new Error('expected a decode error');
    const letter = deadLetterFor({ value, key: Buffer.from('4111111111111111'), topic: 'transactions', partition: 0, offset: '7' }, result.error);
    const text = JSON.stringify(letter) + Buffer.from(letter.originalValue ?? '', 'base64').toString() + Buffer.from(letter.originalKey ?? '', 'base64').toString();
    expect(text).not.toMatch(/4111111111111111|4111 1111 1111 1111/);
    expect(Buffer.from(letter.originalKey ?? '', 'base64').toString()).toBe('411111******1111');
    expect(Buffer.from(letter.originalValue ?? '', 'base64').toString()).toContain('"cardId":"4111 11** **** 1111"');
    expect(letter.cardNumbersMasked).toBe(2);
    expect(deadLetterKey(Buffer.from('4111111111111111'))?.toString()).toBe('411111******1111');
    expect(deadLetterKey(Buffer.from('card-42'))?.toString()).toBe('card-42');
    expect(letter.valueTruncated?.sha256).toBe(createHash('sha256').update(Buffer.from(value.toString('latin1').replace('4111 1111 1111 1111', '4111 11** **** 1111'), 'latin1')).digest('hex'));
    expect(decodeDeadLetter(encode(letter))).toEqual({ ok: true, value: letter });
  });

  it('rejects a bad offset', () => {
    const letter = deadLetterFor({ value: null, key: null, topic: 't', partition: 0, offset: '1' }, { code: 'EMPTY_MESSAGE', path: '', message: 'x' });
    expect(decodeDeadLetter(json({ ...letter, offset: '-1' }))).toMatchObject({ ok: false, error: { path: 'offset' } });
  });
});
