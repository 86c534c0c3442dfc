import currencyCodes from 'currency-codes';

/**
 * ISO 4217 minor units (decimal places) of a currency code, from the ISO list as the `currency-codes`
 * package carries it: 2 for EUR, 0 for JPY, 3 for KWD; undefined for a code that is not in it.
 */
export function minorUnitsOf(code: string): number | undefined {
  if (!/^[A-Z]{3}$/.test(code)) return undefined;
  const digits = currencyCodes.code(code)?.digits;
  return typeof digits === 'number' && Number.isInteger(digits) ? digits : undefined;
}

/** Decimal places of a number as JavaScript writes it shortest (`12.345` → 3, `1e-7` → 7, `1500` → 0). */
export function decimalsOf(value: number): number {
  const text = String(Math.abs(value));
  const [mantissa = '', exponent] = text.split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}
