import { describe, expect, it } from 'vitest';
import { containsCardNumber, findCardNumbers, luhnValid, maskCardNumbers } from '../src/card-numbers.js';

describe('card numbers', () => {
  it('checks Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('5500000000000004')).toBe(true);
    expect(luhnValid('378282246310005')).toBe(true);
  });

  it.each([
    '4111111111111111',
    '4111 1111 1111 1111',
    '4111.1111.1111.1111',
    '4111-1111-1111-1111',
    '4111_1111_1111_1111',
    '4111/1111/1111/1111',
    'card-4111111111111111',
    '5500000000000004',
    '378282246310005',
    '6011000990139424',
    'x4111111111111111y',
    '4111111111111111-7',
    '2223000048400011',
    '501800000009',
  ])('finds %s', (text) => {
    expect(containsCardNumber(text)).toBe(true);
  });

  it.each([
    '000000000042',
    '000000004111111111111111',
    '4111111111111112',
    '41111111111',
    '41111111111111111111',
    '2026-12-01T10:00:00Z',
    'tx-2026-12-01',
    'card-42',
    '411111******1111',
    '4111 1111  1111 1111',
  ])('finds none in %s', (text) => {
    expect(findCardNumbers(text)).toEqual([]);
  });

  it('masks all but the first six and last four digits, keeping separators', () => {
    expect(maskCardNumbers('4111111111111111')).toBe('411111******1111');
    expect(maskCardNumbers('pan 4111 1111 1111 1111 and 5500-0000-0000-0004.')).toBe('pan 4111 11** **** 1111 and 5500-00**-****-0004.');
    expect(maskCardNumbers('no card here: 42')).toBe('no card here: 42');
  });
});
