/**
 * Stable committed-offset reads for kafkajs 2.2.4 (install.ts applies it):
 * OffsetFetch v7 with `require_stable` (KIP-447), which kafkajs lacks (it implements v1–v4).
 *
 * Why: a transaction's offsets become the group's committed offsets when the broker writes its commit
 * marker, and a plain OffsetFetch sent after the transaction's producer id was re-initialised may still
 * return the older offset: on Kafka 4's group coordinator, under load, the detector's new owner of a
 * partition then consumed again what the previous owner had committed (the SIGKILL test saw 435–675
 * transactions twice, on the code before this module too). With `require_stable` the broker answers
 * UNSTABLE_OFFSET_COMMIT while a transaction's offsets for the partition are pending, and the reader
 * asks again.
 *
 * Only reads made inside `readingStableOffsets` use it, e.g. `admin.fetchOffsets`; kafkajs' own reads
 * (the consumer's position after a rebalance) are sent as before, as v4.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { alreadyMended, expectClass, expectFunction, internalModule, isMended, markMended, member, unsupported, type KafkajsModules } from './internals.js';

interface TopicPartitions {
  topic: string;
  partitions: Array<{ partition: number }>;
}
interface KafkaEncoder {
  writeUVarInt(value: number): KafkaEncoder;
  writeUVarIntString(value: string): KafkaEncoder;
  writeInt32(value: number): KafkaEncoder;
  writeBoolean(value: boolean): KafkaEncoder;
}
interface KafkaDecoder {
  readTaggedFields(): unknown;
  readInt16(): number;
  readInt32(): number;
  readInt64(): { toString(): string };
  readUVarIntString(): string | null;
  readUVarIntArray<T>(reader: (decoder: KafkaDecoder) => T): T[] | null;
}
interface ProtocolDefinition {
  versions: string[];
  protocol: (options: { version: number }) => ((args: { groupId: string; topics: TopicPartitions[] }) => unknown) | undefined;
}

interface StableOffsetsInternals {
  Encoder: new () => KafkaEncoder;
  Decoder: new (buffer: Buffer) => KafkaDecoder;
  apiKey: number;
  parse: (data: unknown) => Promise<unknown>;
  definition: ProtocolDefinition;
}

const STABLE_VERSION = 7;
const stable = new AsyncLocalStorage<true>();

/** Runs `read` with its OffsetFetch requests sent as v7 with require_stable. */
export function readingStableOffsets<T>(read: () => Promise<T>): Promise<T> {
  return stable.run(true, read);
}

/** OffsetFetch v7 (flexible): group_id, topics [name, partition_indexes], require_stable. */
function stableOffsetFetchRequest({ Encoder, apiKey }: StableOffsetsInternals, { groupId, topics }: { groupId: string; topics: TopicPartitions[] }) {
  return {
    apiKey,
    apiVersion: STABLE_VERSION,
    apiName: 'OffsetFetch',
    encode: () => {
      const encoder = new Encoder();
      // kafkajs writes request header v1; v2 (flexible versions) adds its tagged fields, none here.
      encoder.writeUVarInt(0);
      encoder.writeUVarIntString(groupId);
      encoder.writeUVarInt(topics.length + 1);
      for (const { topic, partitions } of topics) {
        encoder.writeUVarIntString(topic);
        encoder.writeUVarInt(partitions.length + 1);
        for (const { partition } of partitions) encoder.writeInt32(partition);
        encoder.writeUVarInt(0);
      }
      encoder.writeBoolean(true);
      encoder.writeUVarInt(0);
      return Promise.resolve(encoder);
    },
  };
}

/** The v7 response in the shape kafkajs' v4 decoder gives (what `admin.fetchOffsets` reads). */
function decodeStableOffsetFetch({ Decoder }: StableOffsetsInternals, rawData: Buffer) {
  const decoder = new Decoder(rawData);
  decoder.readTaggedFields(); // response header v1
  const throttleTime = decoder.readInt32();
  const responses = decoder.readUVarIntArray((topicDecoder) => {
    const topic = topicDecoder.readUVarIntString();
    const partitions = topicDecoder.readUVarIntArray((partitionDecoder) => {
      const partition = partitionDecoder.readInt32();
      const offset = partitionDecoder.readInt64().toString();
      partitionDecoder.readInt32(); // committed_leader_epoch
      const metadata = partitionDecoder.readUVarIntString();
      const errorCode = partitionDecoder.readInt16();
      partitionDecoder.readTaggedFields();
      return { partition, offset, metadata, errorCode };
    });
    topicDecoder.readTaggedFields();
    return { topic, partitions: partitions ?? [] };
  });
  const errorCode = decoder.readInt16();
  decoder.readTaggedFields();
  return { throttleTime: 0, clientSideThrottleTime: throttleTime, responses: responses ?? [], errorCode };
}

const MEND = 'stableOffsets';
const ENCODER = 'src/protocol/encoder.js';
const DECODER = 'src/protocol/decoder.js';
const API_KEYS = 'src/protocol/requests/apiKeys.js';
const V2_RESPONSE = 'src/protocol/requests/offsetFetch/v2/response.js';
const OFFSET_FETCH = 'src/protocol/requests/offsetFetch/index.js';

function stableOffsetsInternals(modules: KafkajsModules): StableOffsetsInternals {
  const apiKey = member(internalModule(modules, API_KEYS), 'OffsetFetch');
  if (typeof apiKey !== 'number') throw unsupported(`${API_KEYS} OffsetFetch`, 'is not a number');
  const definition = internalModule(modules, OFFSET_FETCH);
  const versions = member(definition, 'versions');
  if (!Array.isArray(versions) || versions.length === 0 || !versions.every((version) => typeof version === 'string' && Number.isInteger(Number(version)))) {
    throw unsupported(`${OFFSET_FETCH} versions`, 'is not a list of version numbers');
  }
  expectFunction(member(definition, 'protocol'), `${OFFSET_FETCH} protocol`);
  return {
    Encoder: expectClass(internalModule(modules, ENCODER), ['writeUVarInt', 'writeUVarIntString', 'writeInt32', 'writeBoolean'], ENCODER),
    Decoder: expectClass(
      internalModule(modules, DECODER),
      ['readTaggedFields', 'readInt16', 'readInt32', 'readInt64', 'readUVarIntString', 'readUVarIntArray'],
      DECODER,
    ),
    apiKey,
    // v2's parse throws the first error, top-level or per partition, as kafkajs does for v2–v4.
    parse: expectFunction(member(internalModule(modules, V2_RESPONSE), 'parse'), `${V2_RESPONSE} parse`),
    definition: definition as ProtocolDefinition,
  };
}

/** Checks kafkajs' internals for this mend and returns the step that applies it. */
export function prepareStableOffsets(modules: KafkajsModules): () => void {
  const internals = stableOffsetsInternals(modules);
  const { definition, parse } = internals;
  if (isMended(definition, MEND)) return alreadyMended;
  return () => {
    const original = definition.protocol;
    const newest = Math.max(...definition.versions.map(Number));
    definition.versions = [...definition.versions, String(STABLE_VERSION)];
    // kafkajs asks for the best version both sides know: 7 from a broker that has it. Outside
    // `readingStableOffsets`, and for brokers between v4 and v7, kafkajs' own v4 is sent.
    definition.protocol = ({ version }) => {
      if (version <= newest) return original({ version });
      const own = original({ version: newest });
      return (args) =>
        version >= STABLE_VERSION && stable.getStore() === true
          ? {
              request: stableOffsetFetchRequest(internals, args),
              response: { decode: (raw: Buffer) => Promise.resolve(decodeStableOffsetFetch(internals, raw)), parse },
            }
          : own?.(args);
    };
    markMended(definition, MEND);
  };
}
