import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BaseEnv, FraudstreamError, KafkaEnv, describeEnvironment, envDefaults, kafkaSettings, loadConfig } from '@fraudstream/shared';

const Env = BaseEnv.extend(KafkaEnv.shape);

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig(Env, {});
    expect(config.LOG_LEVEL).toBe('info');
    expect(config.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.KAFKA_SSL).toBe(false);
  });

  it('parses broker lists and booleans', () => {
    const config = loadConfig(Env, { KAFKA_BROKERS: 'a:9092, b:9093', KAFKA_SSL: 'true', KAFKA_TOPIC_PARTITIONS: '6' });
    expect(config.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(config.KAFKA_SSL).toBe(true);
    expect(config.KAFKA_TOPIC_PARTITIONS).toBe(6);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(Env, { LOG_LEVEL: '' }).LOG_LEVEL).toBe('info');
  });

  it('names every bad variable, what was expected and what came', () => {
    let error: unknown;
    try {
      loadConfig(Env, { LOG_LEVEL: 'loud', KAFKA_BROKERS: 'localhost', KAFKA_TOPIC_PARTITIONS: 'many' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FraudstreamError);
    const message = (error as FraudstreamError).message;
    expect((error as FraudstreamError).code).toBe('CONFIG_INVALID');
    expect(message).toMatch(/LOG_LEVEL: .*"loud"/);
    expect(message).toMatch(/KAFKA_BROKERS.*host:port/);
    expect(message).toMatch(/KAFKA_TOPIC_PARTITIONS: .*"many"/);
  });

  it('never prints the value of a secret', () => {
    const Secret = Env.extend({ KAFKA_SASL_PASSWORD: Env.shape.KAFKA_SASL_PASSWORD.pipe(z.string().min(16)) });
    expect(() => loadConfig(Secret, { KAFKA_SASL_PASSWORD: 'hunter2' })).toThrow(/KAFKA_SASL_PASSWORD: .*\(value hidden\)/);
    expect(() => loadConfig(Secret, { KAFKA_SASL_PASSWORD: 'hunter2' })).not.toThrow(/hunter2/);
  });

  it('refuses a partial SASL configuration', () => {
    const config = loadConfig(Env, { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'user' });
    expect(() => kafkaSettings(config)).toThrow(/set all three or none/);
  });

  it('builds SASL settings when all three are set', () => {
    const config = loadConfig(Env, { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SSL: 'yes' });
    expect(kafkaSettings(config)).toMatchObject({ ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
  });
});

const Example = z.object({
  WITH_DEFAULT: z.string().default('x'),
  NEEDED: z.string().min(1),
  UNSET: z.string().optional(),
  BROKERS: KafkaEnv.shape.KAFKA_BROKERS,
  EMPTY: z.string().default(''),
  COUNT: z.coerce.number().int().default(12),
  FLAG: KafkaEnv.shape.KAFKA_SSL,
});

describe('envDefaults', () => {
  it('gives each variable, in order, whether it is required and its default as it would be written', () => {
    expect(Object.entries(envDefaults(Example))).toEqual([
      ['WITH_DEFAULT', { required: false, default: 'x' }],
      ['NEEDED', { required: true }],
      ['UNSET', { required: false }],
      ['BROKERS', { required: false, default: '127.0.0.1:9092' }],
      ['EMPTY', { required: false, default: '' }],
      ['COUNT', { required: false, default: '12' }],
      ['FLAG', { required: false, default: 'false' }],
    ]);
  });

  it('writes defaults that parse back to the same values', () => {
    const written = Object.fromEntries(
      Object.entries(envDefaults(Env)).flatMap(([name, spec]) => (spec.default === undefined ? [] : [[name, spec.default]])),
    );
    expect(loadConfig(Env, written)).toEqual(loadConfig(Env, {}));
  });
});

describe('describeEnvironment', () => {
  it('writes NAME=default, NAME (required) or NAME (unset), an empty default as ""', () => {
    expect(describeEnvironment(Example, { width: 1_000 })).toBe(
      '  WITH_DEFAULT=x  NEEDED (required)  UNSET (unset)  BROKERS=127.0.0.1:9092  EMPTY=""  COUNT=12  FLAG=false',
    );
  });

  it('wraps to the width, every line indented, never splitting an entry', () => {
    const text = describeEnvironment(Example, { indent: '    ', width: 40 });
    expect(text.split('\n')).toEqual([
      '    WITH_DEFAULT=x  NEEDED (required)',
      '    UNSET (unset)',
      '    BROKERS=127.0.0.1:9092  EMPTY=""',
      '    COUNT=12  FLAG=false',
    ]);
    // 41 columns with BROKERS: one too many.
    expect(describeEnvironment(Example, { indent: '    ', width: 41 }).split('\n')[1]).toBe('    UNSET (unset)  BROKERS=127.0.0.1:9092');
  });

  it('puts an entry longer than the width on a line of its own', () => {
    const text = describeEnvironment(z.object({ A: z.string().default('a'), LONG: z.string().default('y'.repeat(30)), B: z.string().optional() }), { width: 20 });
    expect(text.split('\n')).toEqual(['  A=a', `  LONG=${'y'.repeat(30)}`, '  B (unset)']);
  });

  it('is empty for a schema without variables', () => {
    expect(describeEnvironment(z.object({}))).toBe('');
  });
});
