import { describe, expect, it } from 'vitest';
import {
  cardIdFor,
  csvTransactionIdOf,
  csvTransactionIdStart,
  customerIdOf,
  customerIdStart,
  terminalIdFor,
  terminalNumberOf,
  terminalNumberStart,
  transactionIdFor,
} from '../src/ids.js';

describe('event ids from Handbook ids', () => {
  it('pads numeric transaction ids to 12 digits and keeps any other id', () => {
    expect(transactionIdFor(42)).toBe('000000000042');
    expect(transactionIdFor('0')).toBe('000000000000');
    expect(transactionIdFor('1234567890123')).toBe('1234567890123');
    expect(transactionIdFor('tx-42')).toBe('tx-42');
  });

  it('prefixes customers and terminals', () => {
    expect(cardIdFor(17)).toBe('card-17');
    expect(cardIdFor('017')).toBe('card-017');
    expect(terminalIdFor(9)).toBe('term-9');
  });
});

describe('Handbook ids from event ids', () => {
  it('takes the prefixes off, and leaves other tokens as they are', () => {
    expect(customerIdOf('card-17')).toBe('17');
    expect(customerIdOf('tok_17')).toBe('tok_17');
    expect(terminalNumberOf('term-9')).toBe('9');
    expect(terminalNumberOf('pos-9')).toBe('pos-9');
    expect([customerIdStart('card-17'), customerIdStart('tok_17'), terminalNumberStart('term-9'), terminalNumberStart('card-9')]).toEqual([5, 0, 5, 0]);
  });

  it('takes the zero padding off numeric transaction ids', () => {
    expect(csvTransactionIdOf('000000000042')).toBe('42');
    expect(csvTransactionIdOf('000000000000')).toBe('0');
    expect(csvTransactionIdOf('tx-042')).toBe('tx-042');
    for (const id of ['000000000042', '000000000000', '42', 'tx-042', '', '0a1']) {
      expect(id.slice(csvTransactionIdStart(id)), id).toBe(csvTransactionIdOf(id));
    }
  });

  it('round-trips every id the system makes', () => {
    for (const n of [0, 7, 42, 999_999_999_999]) {
      expect(csvTransactionIdOf(transactionIdFor(n))).toBe(String(n));
      expect(customerIdOf(cardIdFor(n))).toBe(String(n));
      expect(terminalNumberOf(terminalIdFor(n))).toBe(String(n));
    }
  });
});
