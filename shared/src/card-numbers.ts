/**
 * Finding full card numbers (PANs) in text, so none is ever stored, logged or published in clear.
 *
 * A PAN here is what PCI scanners look for: 12 to 19 digits, the first one not 0 (ISO/IEC 7812 issuer
 * numbers start at 1), passing the Luhn check, written as one run of digits or as groups joined by one
 * separator each (space . - _ /), e.g. `4111 1111 1111 1111` or `4111.1111.1111.1111`. Both the whole
 * separated run and each unseparated stretch of digits in it are checked, so `card-4111111111111111`
 * and `4111111111111111-7` are caught too.
 */

/** Digits, possibly grouped by single separators; the longest such stretches of a text. */
const DIGIT_RUN = /\d(?:[ ._/-]?\d)*/g;
const SEPARATORS = /[ ._/-]/g;
const MIN_DIGITS = 12;
const MAX_DIGITS = 19;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let index = 0; index < digits.length; index++) {
    let digit = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

const isCardNumber = (digits: string): boolean =>
  digits.length >= MIN_DIGITS && digits.length <= MAX_DIGITS && digits[0] !== '0' && luhnValid(digits);

/** Where the card numbers of `text` are: [start, end) spans of the text, separators included. */
export function findCardNumbers(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const match of text.matchAll(DIGIT_RUN)) {
    const run = match[0];
    const start = match.index;
    if (run.replace(SEPARATORS, '').length < MIN_DIGITS) continue;
    if (isCardNumber(run.replace(SEPARATORS, ''))) {
      spans.push([start, start + run.length]);
      continue;
    }
    for (const part of run.matchAll(/\d+/g)) {
      if (isCardNumber(part[0])) spans.push([start + part.index, start + part.index + part[0].length]);
    }
  }
  return spans;
}

export const containsCardNumber = (text: string): boolean => findCardNumbers(text).length > 0;

/**
 * The text with every card number masked as issuers print it: the first six and last four digits
 * kept, the digits between replaced by `*` (separators kept).
 */
export function maskCardNumbers(text: string): string {
  const spans = findCardNumbers(text);
  if (spans.length === 0) return text;
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    out += text.slice(at, start);
    const span = text.slice(start, end);
    const total = span.replace(SEPARATORS, '').length;
    let seen = 0;
    for (const char of span) {
      if (char >= '0' && char <= '9') {
        out += seen < 6 || seen >= total - 4 ? char : '*';
        seen++;
      } else out += char;
    }
    at = end;
  }
  return out + text.slice(at);
}
