/** Which of a Redis Cluster's 16384 hash slots holds a key. */
export type SlotOf = (key: string) => number;

const SLOTS = 16384;

/** CRC16-CCITT (XMODEM), the checksum the cluster specification hashes keys with, one byte at a time. */
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

function crc16(text: string): number {
  let crc = 0;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    // Keys are hashed as UTF-8 bytes; ids are ASCII, so this is the rare path.
    if (code >= 0x80) return crc16OfBytes(Buffer.from(text, 'utf8'));
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ code) & 0xff]!;
  }
  return crc;
}

function crc16OfBytes(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

/**
 * The key's slot as Redis Cluster computes it (`CLUSTER KEYSLOT`): of the hash tag, the text between
 * the first `{` and the next `}` when that is not empty, else of the whole key.
 */
export const keySlot: SlotOf = (key) => {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % SLOTS;
  }
  return crc16(key) % SLOTS;
};

/**
 * A section of a script's arguments: entries of `width` values each, the first `keyColumns` of which
 * are 1-based indices into the script's KEYS. Every key of one entry must share a slot.
 */
export interface ScriptSection {
  entries: readonly (string | number)[];
  width: number;
  keyColumns: number;
}

/** One slot's share of a script's arguments: its keys, its sections (key indices renumbered), and each entry's index in the whole section. */
export interface SlotCall {
  keys: string[];
  sections: ScriptSection[];
  origins: number[][];
}

interface GrowingCall extends SlotCall {
  sections: Array<ScriptSection & { entries: (string | number)[] }>;
}

/**
 * Splits one script call into one call per slot of its keys (Redis Cluster runs a script only on
 * keys of one slot), in the order the slots first appear; an entry goes with its first key.
 */
export function splitBySlot(keys: readonly string[], sections: readonly ScriptSection[], slotOf: SlotOf): SlotCall[] {
  const calls: GrowingCall[] = [];
  const callOfSlot = new Map<number, GrowingCall>();
  const callOfKey = new Array<GrowingCall>(keys.length + 1);
  const localIndex = new Int32Array(keys.length + 1);
  for (let index = 1; index <= keys.length; index++) {
    const key = keys[index - 1]!;
    const slot = slotOf(key);
    let call = callOfSlot.get(slot);
    if (call === undefined) {
      call = { keys: [], sections: sections.map(({ width, keyColumns }) => ({ entries: [], width, keyColumns })), origins: sections.map(() => []) };
      calls.push(call);
      callOfSlot.set(slot, call);
    }
    callOfKey[index] = call;
    localIndex[index] = call.keys.push(key);
  }
  sections.forEach(({ entries, width, keyColumns }, section) => {
    for (let at = 0, ordinal = 0; at < entries.length; at += width, ordinal++) {
      const call = callOfKey[entries[at] as number]!;
      const target = call.sections[section]!.entries;
      for (let column = 0; column < width; column++) {
        const value = entries[at + column]!;
        target.push(column < keyColumns ? localIndex[value as number]! : value);
      }
      call.origins[section]!.push(ordinal);
    }
  });
  return calls;
}

/** Groups items by the slot of their key, in the order the slots first appear. */
export function groupBySlot<T>(items: readonly T[], keyOf: (item: T) => string, slotOf: SlotOf): T[][] {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const slot = slotOf(keyOf(item));
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [item]);
    else group.push(item);
  }
  return [...groups.values()];
}

/**
 * Waits for every call, then rejects with the first failure: a failed batch leaves none of its calls
 * running behind it, to land after the next batch has read.
 */
export async function settleAll<T>(calls: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(calls);
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((outcome) => (outcome as PromiseFulfilledResult<T>).value);
}
