import { z } from 'zod';
import { FraudstreamError } from './errors.js';

/**
 * Environment configuration of every fraudstream process. This module is the only reader of
 * `process.env`: each entry point calls `loadConfig(schema)` once at start-up.
 */

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const brokerList = z
  .string()
  .min(1, 'expected a comma-separated list of host:port')
  .transform((value) => value.split(',').map((broker) => broker.trim()).filter((broker) => broker.length > 0))
  .pipe(
    z
      .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port'))
      .min(1, 'expected at least one host:port'),
  );

export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const BaseEnv = z.object({
  LOG_LEVEL: LogLevel.default('info'),
});

export const KafkaEnv = z.object({
  KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).default('fraudstream'),
  KAFKA_SSL: booleanFromEnv.default(false),
  KAFKA_SSL_CA_FILE: z.string().min(1).optional(),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  /** Partitions for topics the service creates when they do not exist yet. */
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(12),
  /** Replicas of topics the service creates; unset: min(3, the cluster's brokers), see `ensureTopics`. */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(10).optional(),
});
export type KafkaEnv = z.infer<typeof KafkaEnv>;

/** Secrets never reach a log, even when they are the bad value. */
const isSecret = (variable: string): boolean => /TOKEN|PASSWORD|SECRET|_KEY$|DATABASE_URL|REDIS_URL/.test(variable);

/** Parses `env` with `schema`; on failure throws one error naming every bad variable and what was expected. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issue.path.map(String).join('.') || '(environment)';
    const got = typeof issue.path[0] === 'string' ? cleaned[issue.path[0]] : undefined;
    const shown = got === undefined ? ' (not set)' : isSecret(variable) ? ' (value hidden)' : ` (got ${JSON.stringify(got)})`;
    return `  ${variable}: ${issue.message}${shown}`;
  });
  throw new FraudstreamError('CONFIG_INVALID', `Invalid configuration:\n${problems.join('\n')}`);
}

/** Kafka client settings from the environment, validated together (SASL needs all three of its variables). */
export function kafkaSettings(env: KafkaEnv): {
  brokers: string[];
  clientId: string;
  ssl: boolean | { caFile: string };
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
} {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = env;
  const saslParts = [mechanism, username, password].filter((part) => part !== undefined).length;
  if (saslParts !== 0 && saslParts !== 3) {
    throw new FraudstreamError(
      'CONFIG_INVALID',
      'Invalid configuration:\n  KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD: set all three or none',
    );
  }
  const ssl = env.KAFKA_SSL_CA_FILE !== undefined ? { caFile: env.KAFKA_SSL_CA_FILE } : env.KAFKA_SSL;
  return {
    brokers: env.KAFKA_BROKERS,
    clientId: env.KAFKA_CLIENT_ID,
    ssl,
    ...(mechanism && username && password ? { sasl: { mechanism, username, password } } : {}),
  };
}

/** A variable's default as it would be written in the environment; undefined when it has none. */
function writtenDefault(field: z.ZodType): string | undefined {
  const parsed = field.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return undefined;
  const value: unknown = parsed.data;
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Every variable of an environment schema with its default (what `--help` and docs/configuration.md show). */
export function envDefaults(schema: z.ZodObject): Record<string, { required: boolean; default?: string }> {
  const out: Record<string, { required: boolean; default?: string }> = {};
  for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const fallback = writtenDefault(field);
    out[name] = { required: !field.safeParse(undefined).success, ...(fallback !== undefined ? { default: fallback } : {}) };
  }
  return out;
}

/**
 * The variables of `schema` as usage text, one `NAME=default`, `NAME (required)` or `NAME (unset)` per
 * entry, wrapped to `width` columns; defaults come from the schema, so the help cannot drift from it.
 */
export function describeEnvironment(schema: z.ZodObject, { indent = '  ', width = 100 } = {}): string {
  const entries = Object.entries(envDefaults(schema)).map(([name, spec]) =>
    spec.default !== undefined ? `${name}=${spec.default === '' ? '""' : spec.default}` : `${name} (${spec.required ? 'required' : 'unset'})`,
  );
  const lines: string[] = [];
  let line = indent;
  for (const entry of entries) {
    if (line.trim() !== '' && line.length + entry.length + 2 > width) {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += line.trim() === '' ? entry : `  ${entry}`;
  }
  if (line.trim() !== '') lines.push(line.trimEnd());
  return lines.join('\n');
}
