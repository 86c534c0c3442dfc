import { describe, expect, it } from 'vitest';
import { DEFAULT_KEY_PREFIX, cardMember, featureKeys, labelMember, parseCardMember, parseLabels } from '../../../src/features/redis/keys.js';

describe('featureKeys', () => {
  it('names each card, terminal, label set and label version below the prefix', () => {
    const keys = featureKeys(DEFAULT_KEY_PREFIX);
    expect(keys.card('card-1')).toBe('fraudstream:features:card:card-1');
    expect(keys.terminal('term-2')).toBe('fraudstream:features:term:term-2');
    expect(keys.labels('term-2')).toBe('fraudstream:features:label:term-2');
    expect(keys.labelsVersion('term-2')).toBe('fraudstream:features:labels-version:term-2');
    expect(featureKeys('run-7:').card('card-1')).toBe('run-7:card:card-1');
  });

  it('makes each id a hash tag on a Redis Cluster, so a terminal’s keys share a slot', () => {
    const keys = featureKeys('fs:', { hashTags: true });
    expect(keys.card('card-1')).toBe('fs:card:{card-1}');
    expect([keys.terminal('term-2'), keys.labels('term-2'), keys.labelsVersion('term-2')]).toEqual([
      'fs:term:{term-2}',
      'fs:label:{term-2}',
      'fs:labels-version:{term-2}',
    ]);
  });
});

describe('members', () => {
  it('puts a card entry’s amount beside its transaction id, and reads it back', () => {
    expect(cardMember('000000000042', 1234)).toBe('000000000042|1234');
    expect(parseCardMember(cardMember('000000000042', 1234))).toEqual({ transactionId: '000000000042', cents: 1234 });
    expect(parseCardMember(cardMember('tx|with|bars', 0))).toEqual({ transactionId: 'tx|with|bars', cents: 0 });
  });

  it('writes a label with its time padded to 15 digits', () => {
    expect(labelMember({ transactionId: '000000000042', labeledAtMs: 1_538_351_947_000, fraud: true })).toBe('000000000042|001538351947000|1');
    expect(labelMember({ transactionId: 'a|b', labeledAtMs: 5, fraud: false })).toBe('a|b|000000000000005|0');
  });

  it('reads label sets back sorted by transaction time, id, label time and verdict', () => {
    const reply = [
      labelMember({ transactionId: 'b', labeledAtMs: 30, fraud: true }),
      '20',
      labelMember({ transactionId: 'a|x', labeledAtMs: 40, fraud: false }),
      '20',
      labelMember({ transactionId: 'a|x', labeledAtMs: 35, fraud: true }),
      '20',
      labelMember({ transactionId: 'c', labeledAtMs: 10, fraud: false }),
      '10',
    ];
    expect(parseLabels(reply)).toEqual([
      { transactionId: 'c', transactionTimestampMs: 10, labeledAtMs: 10, fraud: false },
      { transactionId: 'a|x', transactionTimestampMs: 20, labeledAtMs: 35, fraud: true },
      { transactionId: 'a|x', transactionTimestampMs: 20, labeledAtMs: 40, fraud: false },
      { transactionId: 'b', transactionTimestampMs: 20, labeledAtMs: 30, fraud: true },
    ]);
    expect(parseLabels([])).toEqual([]);
  });
});
