import { describe, expect, it } from 'vitest';
import { FraudstreamError, errorCodes, isFraudstreamError } from '../src/errors.js';

describe('FraudstreamError', () => {
  it('carries its code, message, name and cause, and is an Error', () => {
    const cause = new Error('socket hang up');
    const err = new FraudstreamError('KAFKA_UNAVAILABLE', 'no broker answered', { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('KAFKA_UNAVAILABLE');
    expect(err.message).toBe('no broker answered');
    expect(err.name).toBe('FraudstreamError');
    expect(err.cause).toBe(cause);
    expect(String(err)).toBe('FraudstreamError: no broker answered');
  });

  it('has no cause unless given one', () => {
    expect('cause' in new FraudstreamError('CSV_INVALID', 'bad header')).toBe(false);
  });
});

describe('isFraudstreamError', () => {
  it('tells a FraudstreamError from anything else, and checks the code when asked', () => {
    const err = new FraudstreamError('USAGE_INVALID', 'missing --input');
    expect(isFraudstreamError(err)).toBe(true);
    expect(isFraudstreamError(err, 'USAGE_INVALID')).toBe(true);
    expect(isFraudstreamError(err, 'CONFIG_INVALID')).toBe(false);
  });

  it('refuses look-alikes: a plain Error or an object with a code is not one', () => {
    const lookalike = Object.assign(new Error('missing --input'), { code: 'USAGE_INVALID', name: 'FraudstreamError' });
    expect(isFraudstreamError(lookalike)).toBe(false);
    expect(isFraudstreamError({ code: 'USAGE_INVALID', message: 'x' }, 'USAGE_INVALID')).toBe(false);
    expect(isFraudstreamError(undefined)).toBe(false);
    expect(isFraudstreamError('USAGE_INVALID')).toBe(false);
  });
});

describe('errorCodes', () => {
  it('is a closed list of distinct upper-case codes, the usage mistakes among them', () => {
    expect(new Set(errorCodes).size).toBe(errorCodes.length);
    for (const code of errorCodes) expect(code).toMatch(/^[A-Z]+(?:_[A-Z]+)*$/);
    expect(errorCodes).toContain('USAGE_INVALID');
    expect(errorCodes).toContain('CONFIG_INVALID');
  });
});
