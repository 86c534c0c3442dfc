import { describe, expect, it } from 'vitest';
import { writeInteger, writePrecision8, writeScoreLine } from '../src/score-text.js';

const text = (write: (bytes: Uint8Array) => number): string => {
  const bytes = new Uint8Array(64);
  return Buffer.from(bytes.subarray(0, write(bytes))).toString('latin1');
};

describe('the scores file text', () => {
  it('writes every float32 score as toPrecision(8) does', () => {
    const f32 = new Float32Array(1);
    const bits = new Uint32Array(f32.buffer);
    f32[0] = 1e-7;
    const low = bits[0]!;
    f32[0] = 12;
    const high = bits[0]!;
    let differing = 0;
    // A stride prime to the mantissa's powers of two: every exponent, mantissas all over.
    for (let pattern = low; pattern <= high; pattern += 997) {
      bits[0] = pattern;
      const value = f32[0]!;
      if (text((bytes) => writePrecision8(bytes, 0, value)) !== value.toPrecision(8)) differing++;
    }
    expect(differing).toBe(0);
    for (const value of [0, 1, 0.5, 1e-5, 9.9999999, 0.099999999, 0.00099999999, 5e-324, 123456789, Number.NaN, -0.25]) {
      const single = Math.fround(value);
      expect(text((bytes) => writePrecision8(bytes, 0, single)), String(value)).toBe(single.toPrecision(8));
    }
    // A double with more bits than a float32 goes through toPrecision too.
    expect(text((bytes) => writePrecision8(bytes, 0, 0.1234567891234))).toBe('0.12345679');
  });

  it('writes ids and lines as scoreLines does', () => {
    for (const value of [0, 7, 10, 99, 100, 123_456_789_012, 2 ** 53 - 1]) expect(text((bytes) => writeInteger(bytes, 0, value))).toBe(String(value));
    expect(text((bytes) => writeScoreLine(bytes, 0, 42, Math.fround(0.00061846955)))).toBe('42,0.00061846955\n');
  });
});
