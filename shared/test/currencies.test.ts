import { describe, expect, it } from 'vitest';
import { decimalsOf, minorUnitsOf } from '../src/currencies.js';

describe('currencies', () => {
  it.each([['EUR', 2], ['USD', 2], ['JPY', 0], ['KRW', 0], ['KWD', 3], ['BHD', 3], ['IQD', 3], ['CLF', 4], ['COP', 2]])('%s has %i minor units (ISO 4217)', (code, digits) => {
    expect(minorUnitsOf(code)).toBe(digits);
  });

  it('knows no made-up code', () => {
    expect(minorUnitsOf('ABC')).toBeUndefined();
    expect(minorUnitsOf('eur')).toBeUndefined();
  });

  it.each([[0, 0], [1500, 0], [12.3, 1], [12.345, 3], [0.1 + 0.2, 17], [1e-7, 7], [1.5e-7, 8], [1e21, 0]])('%d has %i decimals', (value, decimals) => {
    expect(decimalsOf(value)).toBe(decimals);
  });
});
