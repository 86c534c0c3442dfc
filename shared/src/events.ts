import { createHash } from 'node:crypto';
import { z } from 'zod';
import { containsCardNumber, findCardNumbers, maskCardNumbers } from './card-numbers.js';
import { decimalsOf, minorUnitsOf } from './currencies.js';

/** Version of the JSON event format written by this code. A reader refuses any other. */
export const SCHEMA_VERSION = 1;

export const isoUtc = z.iso.datetime({ message: 'expected an ISO 8601 UTC timestamp such as 2018-04-01T00:00:31Z' });

/** Event times outside these years are mistakes (or attacks), never payments. */
const EARLIEST_EVENT_MS = Date.UTC(1970, 0, 1);
const LATEST_EVENT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * A timestamp from outside: ISO 8601 with `Z` or an offset (`+01:00`), any fraction of a second. One
 * with an offset is normalised to UTC at millisecond precision (`2026-03-01T10:00:00.123456+01:00` →
 * `2026-03-01T09:00:00.123Z`); one in UTC is kept as it came.
 */
const eventTime = z.iso
  .datetime({ offset: true, message: 'expected an ISO 8601 timestamp with Z or an offset, such as 2018-04-01T00:00:31Z or 2018-04-01T02:00:31+02:00' })
  .refine((value) => {
    const ms = Date.parse(value);
    return ms >= EARLIEST_EVENT_MS && ms <= LATEST_EVENT_MS;
  }, 'must be between the years 1970 and 9999')
  .transform((value) => (value.endsWith('Z') ? value : new Date(value).toISOString()));

const ID_PATTERN = /^[A-Za-z0-9_.:@/+#=~-](?:[A-Za-z0-9 _.:@/+#=~-]*[A-Za-z0-9_.:@/+#=~-])?$/;

/**
 * An id from outside (transaction, card, terminal): up to 128 printable ASCII characters from a set that
 * is safe in Redis keys, CSV, URLs once encoded and HTML once escaped; inner spaces are fine. Never a
 * full card number (see card-numbers.ts), however it is written: send a token instead.
 */
const identifier = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(ID_PATTERN, 'may only hold letters, digits, inner spaces and _ . : @ / + # = ~ -')
  .refine((value) => !containsCardNumber(value), { message: 'looks like a full card number; send a token instead' });

export const CardId = identifier;
export const TerminalId = identifier;
export const TransactionId = identifier;

/** An amount in the currency's major unit (12.345 KWD, 1500 JPY): at least 0 (a $0.00 verification is a payment too). */
export const Amount = z.number().min(0, 'must be at least 0').max(1_000_000_000, 'must be at most 1e9');

export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as EUR')
  .refine((code) => minorUnitsOf(code) !== undefined, { message: 'not an ISO 4217 currency code' });

/** Channels the simulator and the dashboard know; any other lower-case token is accepted as it comes. */
export const KNOWN_CHANNELS = ['pos', 'contactless', 'ecommerce', 'moto', 'atm', 'recurring'] as const;
export const Channel = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/, 'expected a lower-case token such as ecommerce')
  .describe(`How the card was used: ${KNOWN_CHANNELS.join(', ')}, or a newer value`);

/**
 * A card number as issuers mask it: the first six or eight digits (optional) and the last four, with
 * `*` or `X` between (`411111******1111`, `41111111****1111`, `************1111`).
 */
export const MaskedPan = z
  .string()
  .regex(/^(?:\d{6}|\d{8})?[*Xx]{2,15}\d{4}$/, 'expected a masked card number such as 411111******1111 or ************1111')
  .refine((value) => value.length <= 19, { message: 'must be at most 19 characters' });

const transactionFields = {
  schemaVersion: z.literal(SCHEMA_VERSION).describe('Always 1 for this contract'),
  transactionId: TransactionId.describe('The payment\'s id from the acquirer or gateway; with cardId, it identifies the payment'),
  timestamp: eventTime.describe('When the payment was authorised: ISO 8601 with Z or an offset, read as UTC'),
  cardId: CardId.describe('A card token (never the card number)'),
  terminalId: TerminalId.describe('The terminal or merchant point of sale'),
  amount: Amount.describe('In the currency\'s major unit, at least 0, with no more decimals than its ISO 4217 minor units'),
  currency: CurrencyCode.describe('ISO 4217 alphabetic code, e.g. EUR, JPY, KWD'),
  merchantCategory: z
    .string()
    .regex(/^\d{4}$/, 'expected a 4-digit ISO 18245 merchant category code')
    .describe('ISO 18245 merchant category code, 4 digits')
    .optional(),
  channel: Channel.optional(),
  maskedPan: MaskedPan.describe('The card number as issuers mask it: first 6 or 8 digits (optional), then * or X, then the last 4').optional(),
};

/**
 * A payment (schema version 1). A tolerant reader: the known fields are validated, unknown ones are
 * accepted and kept as they came (an upstream's new field is not a reason to drop a payment), except
 * that any card number in them is masked.
 */
const amountInMinorUnits = (tx: { amount: number; currency: string }, ctx: z.RefinementCtx): void => {
  const digits = minorUnitsOf(tx.currency);
  if (digits !== undefined && decimalsOf(tx.amount) > digits) {
    ctx.addIssue({ code: 'custom', path: ['amount'], message: `must have at most ${digits} decimal places in ${tx.currency}` });
  }
};

export const Transaction = z
  .looseObject(transactionFields)
  .superRefine(amountInMinorUnits)
  .transform((tx) => maskUnknownFields(tx, transactionFields));

/**
 * A transaction as `Transaction` left it (UTC, card numbers masked), where the detector passes it on in
 * an alert: validated the same way, but with nothing left to transform (so an API can serialise it).
 */
export const DecodedTransaction = z
  .looseObject({ ...transactionFields, timestamp: isoUtc })
  .superRefine(amountInMinorUnits);
export type Transaction = z.infer<typeof Transaction>;

export const LabelSource = z.enum(['chargeback', 'analyst']);

const labelFields = {
  schemaVersion: z.literal(SCHEMA_VERSION),
  transactionId: TransactionId,
  cardId: CardId,
  terminalId: TerminalId,
  transactionTimestamp: eventTime,
  fraud: z.boolean(),
  source: LabelSource,
  labeledAt: eventTime,
  /** Free text: a card number in it is masked. */
  note: z.string().max(2000).transform(maskCardNumbers).optional(),
};

/** A verdict on a payment (a chargeback, an analyst's review): a tolerant reader, like `Transaction`. */
export const Label = z.looseObject(labelFields).transform((label) => maskUnknownFields(label, labelFields));
export type Label = z.infer<typeof Label>;

/** The longest `text` of an alert reason. */
export const REASON_TEXT_MAX_LENGTH = 200;

export const AlertReason = z.strictObject({
  feature: z.string().min(1),
  value: z.number(),
  typical: z.number(),
  /** Score drop when this feature is replaced by its training mean (occlusion attribution). */
  contribution: z.number(),
  /** The reason in words (shared/src/features/catalogue.ts); absent in alerts written before it. */
  text: z.string().min(1).max(REASON_TEXT_MAX_LENGTH).optional(),
});
export type AlertReason = z.infer<typeof AlertReason>;

/** What a rule does when it matches: `allow` suppresses any alert, `block` and `review` raise one. */
export const RuleAction = z.enum(['block', 'review', 'allow']);
export type RuleAction = z.infer<typeof RuleAction>;

/** A rule that matched a payment, as the alert records it (rules: shared/src/rules/). */
export const RuleHit = z.strictObject({
  ruleId: z.string().min(1).max(64),
  version: z.number().int().min(1),
  name: z.string().min(1),
  action: RuleAction,
});
export type RuleHit = z.infer<typeof RuleHit>;

/** What an alert asks for: a `block` rule matched, or a `review` rule or the model's threshold. */
export const AlertDecision = z.enum(['block', 'review']);
export type AlertDecision = z.infer<typeof AlertDecision>;

/** A shadow challenger's view of a payment (CHALLENGER_MODEL_DIR): its score and whether it alone would alert. */
export const ChallengerScore = z.strictObject({
  modelVersion: z.string().min(1),
  score: z.number().min(0).max(1),
  threshold: z.number().min(0).max(1),
  /** score ≥ its threshold: the challenger would have alerted (rules aside). */
  flagged: z.boolean(),
});
export type ChallengerScore = z.infer<typeof ChallengerScore>;

export const Alert = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  alertId: z.string().regex(/^[0-9a-f-]{36}$/, 'expected the alert id derived from the transaction id'),
  transaction: DecodedTransaction,
  score: z.number().min(0).max(1),
  threshold: z.number().min(0).max(1),
  modelVersion: z.string().min(1),
  reasons: z.array(AlertReason).max(20),
  /** Alerts written before rules existed have neither: they were the model's, for review. */
  decision: AlertDecision.default('review'),
  /** The active rules that matched (allow hits suppress the alert, so never appear here). */
  ruleHits: z.array(RuleHit).max(100).default([]),
  /** The shadow challenger's score of the same payment, when one runs. */
  challenger: ChallengerScore.optional(),
  detectedAt: isoUtc,
});
export type Alert = z.infer<typeof Alert>;

/**
 * Every score a detector gives (`fraud.scores`, in the batch's Kafka transaction with the alerts):
 * what monitoring needs (quality per day and model, drift per feature) and what a case view shows of
 * a card's payments that were not alerted. `features` is the model's input row, in FEATURE_NAMES order
 * (the model refuses any other layout), rounded to 6 significant digits.
 */
export const ScoredTransaction = z.strictObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  transactionId: TransactionId,
  cardId: CardId,
  /** The payment's event time (UTC). */
  timestamp: isoUtc,
  /** Absent in scores written before the payments store. */
  terminalId: TerminalId.optional(),
  amount: Amount.optional(),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  channel: Channel.optional(),
  merchantCategory: z.string().regex(/^\d{4}$/).optional(),
  maskedPan: MaskedPan.optional(),
  score: z.number().min(0).max(1),
  threshold: z.number().min(0).max(1),
  flagged: z.boolean(),
  modelVersion: z.string().min(1),
  /** The alert's decision, null when not alerted (absent in scores written before rules). */
  decision: AlertDecision.nullable().optional(),
  /** Active rules that matched (an allow hit suppresses the alert). */
  ruleHits: z.array(RuleHit).max(100).optional(),
  /** Shadow rules that matched: here and in the metrics only. */
  shadowHits: z.array(RuleHit).max(100).optional(),
  /** The shadow challenger's score of the same payment (CHALLENGER_MODEL_DIR), beside the champion's. */
  challenger: ChallengerScore.optional(),
  features: z.array(z.number().refine(Number.isFinite, 'must be a finite number')).max(256).optional(),
});
export type ScoredTransaction = z.infer<typeof ScoredTransaction>;

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
  /**
   * How many card numbers were masked in the original value and key (never carried in clear); then the
   * bytes and any hash above are of the masked original.
   */
  cardNumbersMasked: z.number().int().min(1).optional(),
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

/**
 * A UUID-shaped id derived from the payment (its transaction id and card: two cards' payments may share a
 * transaction id), so every sink can deduplicate alerts, however often one is redelivered.
 */
export function alertIdFor({ transactionId, cardId }: { transactionId: string; cardId: string }): string {
  // Ids never hold NUL: the two parts cannot run into each other.
  const bytes = createHash('sha256').update(`fraudstream.alert.payment\0${cardId}\0${transactionId}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80; // UUID version 8: custom, name-based
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80; // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The event with any card number in its unknown fields (names or string values, at any depth) masked;
 * known fields are validated by their schemas.
 */
function maskUnknownFields<T extends Record<string, unknown>>(event: T, known: Record<string, unknown>): T {
  // Hot path: most events have no unknown field, and most unknown fields no card number. Nothing is
  // copied unless something is masked (each step returns its input when it changed nothing).
  const mask = (value: unknown): unknown => {
    if (typeof value === 'string') return maskCardNumbers(value);
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      const items = value.map(mask);
      return items.some((item, index) => item !== value[index]) ? items : value;
    }
    const entries = Object.entries(value).map(([key, inner]): [string, unknown] => [maskCardNumbers(key), mask(inner)]);
    const original = Object.entries(value);
    return entries.some(([key, inner], index) => key !== original[index]![0] || inner !== original[index]![1]) ? Object.fromEntries(entries) : value;
  };
  let masked: Array<[string, unknown]> | undefined;
  const keys = Object.keys(event);
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index]!;
    if (Object.hasOwn(known, key)) continue;
    const safeKey = maskCardNumbers(key);
    const safeValue = mask(event[key]);
    if (safeKey === key && safeValue === event[key]) continue;
    masked ??= Object.entries(event);
    masked[index] = [safeKey, safeValue];
  }
  return masked === undefined ? event : (Object.fromEntries(masked) as T);
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
    const text = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
    // A byte order mark is not JSON, but some writers put one in front of it.
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
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
export const decodeScoredTransaction = (bytes: Buffer | string | null | undefined): Decoded<ScoredTransaction> =>
  decodeWith(ScoredTransaction, bytes, MAX_EVENT_BYTES);
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

/**
 * The key a dead letter is published with: the original's (its first bytes when it is larger than a key
 * should be), card numbers masked.
 */
export function deadLetterKey(key: Buffer | null): Buffer | null {
  if (key === null) return null;
  const kept = key.length <= DEAD_LETTER_MAX_KEY_BYTES ? key : key.subarray(0, DEAD_LETTER_MAX_KEY_BYTES);
  const text = kept.toString('latin1');
  return findCardNumbers(text).length === 0 ? kept : Buffer.from(maskCardNumbers(text), 'latin1');
}

/** Builds the dead letter for a message that failed to decode, keeping its original bytes (up to a bound, card numbers masked). */
export function deadLetterFor(
  message: { value: Buffer | null; key: Buffer | null; topic: string; partition: number; offset: string },
  error: DecodeError,
  failedAt: Date = new Date(),
): DeadLetter {
  let masked = 0;
  const withoutCardNumbers = (bytes: Buffer): Buffer => {
    // latin1 maps every byte to one character and back: only the masked digits change.
    const text = bytes.toString('latin1');
    const found = findCardNumbers(text).length;
    if (found === 0) return bytes;
    masked += found;
    return Buffer.from(maskCardNumbers(text), 'latin1');
  };
  const value = message.value === null ? null : keptPart(withoutCardNumbers(message.value), DEAD_LETTER_MAX_VALUE_BYTES);
  const key = message.key === null ? null : keptPart(withoutCardNumbers(message.key), DEAD_LETTER_MAX_KEY_BYTES);
  return {
    schemaVersion: SCHEMA_VERSION,
    originalValue: value === null ? null : value.base64,
    originalKey: key === null ? null : key.base64,
    ...(value?.truncated ? { valueTruncated: value.truncated } : {}),
    ...(key?.truncated ? { keyTruncated: key.truncated } : {}),
    ...(masked > 0 ? { cardNumbersMasked: masked } : {}),
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    error,
    failedAt: failedAt.toISOString(),
  };
}
