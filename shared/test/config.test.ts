import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BaseEnv, FraudstreamError, KafkaEnv, kafkaSettings, loadConfig } from '@fraudstream/shared';

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
