import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Version of the JSON event format written by this code. A reader refuses any other. */
export const SCHEMA_VERSION = 1;

const isoUtc = z.iso.datetime({ message: 'expected an ISO 8601 UTC timestamp such as 2018-04-01T00:00:31Z' });

const identifier = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[\w.:@-]+$/, 'may only hold letters, digits and _ . : @ -');

const looksLikeCardNumber = (value: string): boolean => /^\d{12,19}$/.test(value.replace(/[\s-]/g, ''));

export const CardId = identifier.refine((value) => !looksLikeCardNumber(value), {
  message: 'looks like a full card number; send a card token instead',
});

export const Amount = z
  .number()
  .positive('must be greater than 0')
  .max(1_000_000_000, 'must be at most 1e9')
  .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, {
    message: 'must have at most two decimal places (cents)',
  });

export const Channel = z.enum(['pos', 'contactless', 'ecommerce', 'moto', 'atm']);

export const Transaction = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  transactionId: identifier,
  timestamp: isoUtc,
  cardId: CardId,
  terminalId: identifier,
  amount: Amount,
  currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as EUR'),
  merchantCategory: z
    .string()
    .regex(/^\d{4}$/, 'expected a 4-digit ISO 18245 merchant category code')
    .optional(),
  channel: Channel.optional(),
  maskedPan: z
    .string()
    .regex(/^\d{6}\*{2,9}\d{4}$/, 'expected a masked card number such as 411111******1111')
    .optional(),
});
export type Transaction = z.infer<typeof Transaction>;

export const LabelSource = z.enum(['chargeback', 'analyst']);

export const Label = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  transactionId: identifier,
  cardId: CardId,
  terminalId: identifier,
  transactionTimestamp: isoUtc,
  fraud: z.boolean(),
  source: LabelSource,
  labeledAt: isoUtc,
  note: z.string().max(2000).optional(),
});
export type Label = z.infer<typeof Label>;

export const AlertReason = z.strictObject({
  feature: z.string().min(1),
  value: z.number(),
  typical: z.number(),
  /** Score drop when this feature is replaced by its training mean (occlusion attribution). */
  contribution: z.number(),
});
export type AlertReason = z.infer<typeof AlertReason>;

export const Alert = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  alertId: z.string().regex(/^[0-9a-f-]{36}$/, 'expected the alert id derived from the transaction id'),
  transaction: Transaction,
  score: z.number().min(0).max(1),
  threshold: z.number().min(0).max(1),
  modelVersion: z.string().min(1),
  reasons: z.array(AlertReason).max(20),
  detectedAt: isoUtc,
});
export type Alert = z.infer<typeof Alert>;

/**
 * Why a message was dead-lettered: it does not decode (the first four), it is larger than any event
 * of its kind can be, or its event time is too far ahead of its partition's (see the detector).
 */
export const DecodeErrorCode = z.enum(['MALFORMED_JSON', 'EMPTY_MESSAGE', 'SCHEMA_VIOLATION', 'UNKNOWN_VERSION', 'MESSAGE_TOO_LARGE', 'EVENT_TIME_AHEAD']);
export type DecodeErrorCode = z.infer<typeof DecodeErrorCode>;

/** What a dead letter says of an original key or value too large to carry whole. */
export const TruncatedOriginal = z.strictObject({
  /** Size of the original, in bytes. */
  bytes: z.number().int().min(0),
  /** SHA-256 of the original bytes, hex: finds the message again, or proves a copy is the same. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export const DeadLetter = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  /**
   * The message value as received, base64-encoded (null for a tombstone): whole up to
   * DEAD_LETTER_MAX_VALUE_BYTES, its first that many bytes beyond (then `valueTruncated` says so).
   */
  originalValue: z.string().nullable(),
  originalKey: z.string().nullable(),
  valueTruncated: TruncatedOriginal.optional(),
  keyTruncated: TruncatedOriginal.optional(),
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  offset: z.string().regex(/^\d+$/),
  error: z.strictObject({
    code: DecodeErrorCode,
    path: z.string(),
    message: z.string(),
  }),
  failedAt: isoUtc,
});
export type DeadLetter = z.infer<typeof DeadLetter>;

/** Why a message could not be decoded: `path` names the offending field (`''` for the whole message). */
export interface DecodeError {
  code: DecodeErrorCode;
  path: string;
  message: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: DecodeError };

/** A UUID-shaped id derived from the transaction id, so every sink can deduplicate alerts. */
export function alertIdFor(transactionId: string): string {
  const bytes = createHash('sha256').update(`fraudstream.alert:${transactionId}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // UUID version 8: custom, name-based
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

/**
 * Decodes bytes into a typed event. Never throws: malformed JSON, a wrong schema version and every
 * schema violation come back as a `DecodeError` naming the field.
 */
export function decodeWith<T>(schema: z.ZodType<T>, bytes: Buffer | string | null | undefined, maxBytes = Number.POSITIVE_INFINITY): Decoded<T> {
  if (bytes === null || bytes === undefined || bytes.length === 0) {
    return { ok: false, error: { code: 'EMPTY_MESSAGE', path: '', message: 'message has no value' } };
  }
  if (bytes.length > maxBytes) {
    return { ok: false, error: { code: 'MESSAGE_TOO_LARGE', path: '', message: `message of ${bytes.length} bytes; an event is at most ${maxBytes}` } };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (err) {
    return { ok: false, error: { code: 'MALFORMED_JSON', path: '', message: (err as Error).message } };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: { code: 'SCHEMA_VIOLATION', path: '', message: 'expected a JSON object' } };
  }
  const version = (json as Record<string, unknown>)['schemaVersion'];
  if (version !== SCHEMA_VERSION) {
    return {
      ok: false,
      error: {
        code: 'UNKNOWN_VERSION',
        path: 'schemaVersion',
        message: `expected schemaVersion ${SCHEMA_VERSION}, got ${JSON.stringify(version) ?? 'nothing'}`,
      },
    };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return {
    ok: false,
    error: {
      code: 'SCHEMA_VIOLATION',
      path: issue ? formatPath(issue.path) : '',
      message: issue?.message ?? parsed.error.message,
    },
  };
}

export function encode(event: Transaction | Label | Alert | DeadLetter): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

export const decodeTransaction = (bytes: Buffer | string | null | undefined): Decoded<Transaction> =>
  decodeWith(Transaction, bytes, MAX_EVENT_BYTES);
export const decodeLabel = (bytes: Buffer | string | null | undefined): Decoded<Label> => decodeWith(Label, bytes, MAX_EVENT_BYTES);
export const decodeAlert = (bytes: Buffer | string | null | undefined): Decoded<Alert> => decodeWith(Alert, bytes);
export const decodeDeadLetter = (bytes: Buffer | string | null | undefined): Decoded<DeadLetter> =>
  decodeWith(DeadLetter, bytes);

/**
 * A dead letter carries at most this much of the original value (64 KiB, 87 KiB in base64), so it always
 * fits in a Kafka message (1 MiB by default) whatever it was sent for: one too large to dead-letter as it
 * came would stop its partition for good.
 */
export const DEAD_LETTER_MAX_VALUE_BYTES = 64 * 1024;
/** …and of the original key. */
export const DEAD_LETTER_MAX_KEY_BYTES = 1024;

/** No valid event comes near this size (ids are at most 128 characters): larger messages are refused unparsed. */
export const MAX_EVENT_BYTES = 64 * 1024;

function keptPart(bytes: Buffer, max: number): { base64: string; truncated?: z.infer<typeof TruncatedOriginal> } {
  if (bytes.length <= max) return { base64: bytes.toString('base64') };
  return {
    base64: bytes.subarray(0, max).toString('base64'),
    truncated: { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
  };
}

/** The key a dead letter is published with: the original's, or its first bytes when it is larger than a key should be. */
export function deadLetterKey(key: Buffer | null): Buffer | null {
  return key === null || key.length <= DEAD_LETTER_MAX_KEY_BYTES ? key : key.subarray(0, DEAD_LETTER_MAX_KEY_BYTES);
}

/** Builds the dead letter for a message that failed to decode, keeping its original bytes (up to a bound). */
export function deadLetterFor(
  message: { value: Buffer | null; key: Buffer | null; topic: string; partition: number; offset: string },
  error: DecodeError,
  failedAt: Date = new Date(),
): DeadLetter {
  const value = message.value === null ? null : keptPart(message.value, DEAD_LETTER_MAX_VALUE_BYTES);
  const key = message.key === null ? null : keptPart(message.key, DEAD_LETTER_MAX_KEY_BYTES);
  return {
    schemaVersion: SCHEMA_VERSION,
    originalValue: value === null ? null : value.base64,
    originalKey: key === null ? null : key.base64,
    ...(value?.truncated ? { valueTruncated: value.truncated } : {}),
    ...(key?.truncated ? { keyTruncated: key.truncated } : {}),
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    error,
    failedAt: failedAt.toISOString(),
  };
}
