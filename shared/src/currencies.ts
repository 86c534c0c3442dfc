import currencyCodes from 'currency-codes';

/** ISO 4217 minor units by code, from the ISO list as the `currency-codes` package carries it (read once: every payment asks). */
const MINOR_UNITS = new Map<string, number>(
  currencyCodes
    .codes()
    .map((code): [string, number | undefined] => [code, currencyCodes.code(code)?.digits])
    .filter((entry): entry is [string, number] => Number.isInteger(entry[1])),
);

/** Decimal places of a currency (2 for EUR, 0 for JPY, 3 for KWD); undefined for a code that is not ISO 4217. */
export function minorUnitsOf(code: string): number | undefined {
  return MINOR_UNITS.get(code);
}

/** Decimal places of a number as JavaScript writes it shortest (`12.345` → 3, `1e-7` → 7, `1500` → 0). */
export function decimalsOf(value: number): number {
  const text = String(Math.abs(value));
  const [mantissa = '', exponent] = text.split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}
