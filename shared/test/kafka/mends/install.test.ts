import { describe, expect, it } from 'vitest';
import { isFraudstreamError } from '../../../src/errors.js';
import { KAFKAJS_VERSION, installKafkajsMends } from '../../../src/kafka/mends/install.js';
import { installedKafkajs, isMended, type KafkajsModules } from '../../../src/kafka/mends/internals.js';

const FILTER = 'src/consumer/filterAbortedMessages.js';
const SEND_MESSAGES = 'src/producer/sendMessages.js';
const OFFSET_FETCH = 'src/protocol/requests/offsetFetch/index.js';

class Cluster {
  findGroupCoordinatorMetadata() {
    return Promise.resolve({ nodeId: 1 });
  }
}

/** Stand-ins for the kafkajs 2.2.4 internals the mends patch or use, `changes` applied. */
function fakeKafkajs(options: { version?: unknown; changes?: Record<string, unknown>; loaded?: string[] } = {}) {
  const { changes = {}, loaded = [] } = options;
  const version = 'version' in options ? options.version : KAFKAJS_VERSION;
  const cluster = class extends Cluster {};
  const exports: Record<string, unknown> = {
    [FILTER]: () => [],
    'src/consumer/batch.js': {},
    'src/errors.js': { KafkaJSMetadataNotLoaded: class extends Error {} },
    'src/protocol/error.js': { staleMetadata: () => false },
    'src/producer/responseSerializer.js': () => [],
    [SEND_MESSAGES]: () => () => Promise.resolve([]),
    'src/producer/messageProducer.js': {},
    'src/cluster/index.js': cluster,
    'src/protocol/encoder.js': class {
      writeUVarInt() {}
      writeUVarIntString() {}
      writeInt32() {}
      writeBoolean() {}
    },
    'src/protocol/decoder.js': class {
      readTaggedFields() {}
      readInt16() {}
      readInt32() {}
      readInt64() {}
      readUVarIntString() {}
      readUVarIntArray() {}
    },
    'src/protocol/requests/apiKeys.js': { OffsetFetch: 9 },
    'src/protocol/requests/offsetFetch/v2/response.js': { parse: () => Promise.resolve({}) },
    [OFFSET_FETCH]: { versions: ['1', '2', '3', '4'], protocol: () => undefined },
    ...changes,
  };
  const isLoaded = new Set(loaded);
  const replaced = new Map<string, unknown>();
  const modules: KafkajsModules = {
    version: () => version,
    has: (path) => exports[path] !== undefined,
    isLoaded: (path) => isLoaded.has(path),
    load: (path) => {
      isLoaded.add(path);
      return replaced.has(path) ? replaced.get(path) : exports[path];
    },
    replace: (path, value) => {
      if (!isLoaded.has(path)) throw new Error(`${path} replaced before it was loaded`);
      replaced.set(path, value);
    },
  };
  return { modules, replaced, isLoaded, cluster, offsetFetch: exports[OFFSET_FETCH] as { versions: string[] } };
}

function unsupported(install: () => void): string {
  try {
    install();
  } catch (err) {
    if (isFraudstreamError(err, 'KAFKAJS_UNSUPPORTED')) return err.message;
    throw err;
  }
  throw new Error('installed');
}

describe('installKafkajsMends', () => {
  it('applies every mend to kafkajs 2.2.4, once however often it is called', () => {
    const kafkajs = fakeKafkajs();
    const original = kafkajs.cluster.prototype.findGroupCoordinatorMetadata;
    installKafkajsMends(kafkajs.modules);
    expect(isMended(kafkajs.replaced.get(FILTER), 'readCommitted')).toBe(true);
    expect(isMended(kafkajs.replaced.get(SEND_MESSAGES), 'sendRetries')).toBe(true);
    expect(kafkajs.cluster.prototype.findGroupCoordinatorMetadata).not.toBe(original);
    expect(kafkajs.offsetFetch.versions).toEqual(['1', '2', '3', '4', '7']);

    // By now kafkajs has loaded what takes the replaced modules.
    kafkajs.isLoaded.add('src/consumer/batch.js').add('src/producer/messageProducer.js');
    const mended = kafkajs.cluster.prototype.findGroupCoordinatorMetadata;
    installKafkajsMends(kafkajs.modules);
    expect(kafkajs.cluster.prototype.findGroupCoordinatorMetadata).toBe(mended);
    expect(kafkajs.offsetFetch.versions).toEqual(['1', '2', '3', '4', '7']);
  });

  it.each([
    { version: '2.2.3', installed: 'kafkajs 2.2.3' },
    { version: '2.3.0', installed: 'kafkajs 2.3.0' },
    { version: undefined, installed: 'a kafkajs without a version' },
  ])('refuses $installed, changing nothing', ({ version, installed }) => {
    const kafkajs = fakeKafkajs({ version });
    expect(unsupported(() => installKafkajsMends(kafkajs.modules))).toBe(
      `${installed} is installed, but its mends (shared/src/kafka/mends/) were written for kafkajs 2.2.4`,
    );
    expect(kafkajs.replaced.size).toBe(0);
    expect(kafkajs.isLoaded.size).toBe(0);
  });

  it.each([
    { changes: { [FILTER]: undefined }, names: `${FILTER} is missing` },
    { changes: { [FILTER]: {} }, names: `${FILTER} is an object, not a function` },
    { changes: { 'src/consumer/batch.js': undefined }, names: 'src/consumer/batch.js is missing' },
    { changes: { [SEND_MESSAGES]: undefined }, names: `${SEND_MESSAGES} is missing` },
    { changes: { 'src/errors.js': {} }, names: 'src/errors.js KafkaJSMetadataNotLoaded is missing' },
    { changes: { 'src/protocol/error.js': { staleMetadata: true } }, names: 'src/protocol/error.js staleMetadata is a boolean, not a function' },
    { changes: { 'src/producer/messageProducer.js': undefined }, names: 'src/producer/messageProducer.js is missing' },
    { changes: { 'src/cluster/index.js': class {} }, names: 'src/cluster/index.js Cluster.prototype.findGroupCoordinatorMetadata is missing' },
    { changes: { 'src/protocol/encoder.js': class {} }, names: 'src/protocol/encoder.js method writeUVarInt is missing' },
    { changes: { 'src/protocol/decoder.js': {} }, names: 'src/protocol/decoder.js is an object, not a function' },
    { changes: { 'src/protocol/requests/apiKeys.js': {} }, names: 'src/protocol/requests/apiKeys.js OffsetFetch is not a number' },
    { changes: { 'src/protocol/requests/offsetFetch/v2/response.js': {} }, names: 'src/protocol/requests/offsetFetch/v2/response.js parse is missing' },
    { changes: { [OFFSET_FETCH]: { versions: [1, 2], protocol: () => undefined } }, names: `${OFFSET_FETCH} versions is not a list of version numbers` },
    { changes: { [OFFSET_FETCH]: { versions: ['1'] } }, names: `${OFFSET_FETCH} protocol is missing` },
  ])('names the internal that is not as expected ($names), changing nothing', ({ changes, names }) => {
    const kafkajs = fakeKafkajs({ changes });
    const original = kafkajs.cluster.prototype.findGroupCoordinatorMetadata;
    expect(unsupported(() => installKafkajsMends(kafkajs.modules))).toBe(
      `kafkajs' ${names}, unlike the release its mends (shared/src/kafka/mends/) were written for`,
    );
    expect(kafkajs.replaced.size).toBe(0);
    expect(kafkajs.cluster.prototype.findGroupCoordinatorMetadata).toBe(original);
  });

  it.each([
    { loaded: 'src/consumer/batch.js', mend: 'read-committed' },
    { loaded: 'src/producer/messageProducer.js', mend: 'producer-retry' },
  ])('refuses when kafkajs loaded $loaded before its $mend mend', ({ loaded, mend }) => {
    const kafkajs = fakeKafkajs({ loaded: [loaded] });
    expect(unsupported(() => installKafkajsMends(kafkajs.modules))).toBe(
      `kafkajs was loaded before its ${mend} mend: import it through @fraudstream/shared only`,
    );
    expect(kafkajs.replaced.size).toBe(0);
  });

  it('mends the installed kafkajs, which is the release they were written for', () => {
    installKafkajsMends();
    installKafkajsMends();
    expect(isMended(installedKafkajs().load(FILTER), 'readCommitted')).toBe(true);
  });
});
