export const errorCodes = [
  'CONFIG_INVALID',
  'MALFORMED_JSON',
  'EMPTY_MESSAGE',
  'SCHEMA_VIOLATION',
  'UNKNOWN_VERSION',
  'MESSAGE_TOO_LARGE',
  'EVENT_TIME_AHEAD',
  'KAFKA_UNAVAILABLE',
  'SHUTDOWN_TIMEOUT',
  'MODEL_INVALID',
  'FEATURES_MISMATCH',
  'CSV_INVALID',
  /** A command line the program cannot run: it prints the message and its usage, and exits 2. */
  'USAGE_INVALID',
  /** Training data that cannot give a sound model (too short a history, a constant feature). */
  'TRAINING_INPUT_INSUFFICIENT',
  /** A rule whose expression does not compile (a rule event that skipped the API's check). */
  'RULE_INVALID',
  /** Another promotion holds the model registry's lock. */
  'REGISTRY_BUSY',
  /** A candidate model the promotion gate refused (worse, mismatched, or evaluated on unsound days). */
  'PROMOTION_REFUSED',
  /**
   * kafkajs is not the release its mends (shared/src/kafka/mends/) were written for, an internal they
   * patch has changed, or kafkajs was loaded before them: running on would bring back the bugs they mend.
   */
  'KAFKAJS_UNSUPPORTED',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** The one error class of fraudstream: a stable `code` for programs, a message for people. */
export class FraudstreamError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FraudstreamError';
    this.code = code;
  }
}

export function isFraudstreamError(err: unknown, code?: ErrorCode): err is FraudstreamError {
  return err instanceof FraudstreamError && (code === undefined || err.code === code);
}
