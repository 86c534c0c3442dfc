import { describe, expect, it } from 'vitest';
import { installedKafkajs, isMended, markMended } from '../../../src/kafka/mends/internals.js';

describe('installedKafkajs', () => {
  it('reads the version from kafkajs’ package.json and finds its internal modules', () => {
    const kafkajs = installedKafkajs();
    expect(kafkajs.version()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(kafkajs.has('src/cluster/index.js')).toBe(true);
    expect(kafkajs.has('src/no-such-module.js')).toBe(false);
    expect(kafkajs.load('src/no-such-module.js')).toBeUndefined();
  });

  it('tells what is loaded, and replaces only a loaded module', () => {
    const kafkajs = installedKafkajs();
    expect(kafkajs.isLoaded('src/protocol/requests/apiKeys.js')).toBe(false);
    expect(() => kafkajs.replace('src/protocol/requests/apiKeys.js', {})).toThrow('must be loaded before it is replaced');
    const apiKeys = kafkajs.load('src/protocol/requests/apiKeys.js');
    expect(kafkajs.isLoaded('src/protocol/requests/apiKeys.js')).toBe(true);
    const replacement = { OffsetFetch: 9 };
    kafkajs.replace('src/protocol/requests/apiKeys.js', replacement);
    expect(kafkajs.load('src/protocol/requests/apiKeys.js')).toBe(replacement);
    kafkajs.replace('src/protocol/requests/apiKeys.js', apiKeys);
  });
});

describe('mend marks', () => {
  it('are per mend, and seen by every copy of the mends (a registered symbol)', () => {
    const target = markMended({}, 'coordinators');
    expect(isMended(target, 'coordinators')).toBe(true);
    expect(isMended(target, 'stableOffsets')).toBe(false);
    expect((target as Record<symbol, unknown>)[Symbol.for('fraudstream.kafkajs.coordinators')]).toBe(true);
    expect(isMended(undefined, 'coordinators')).toBe(false);
  });
});
