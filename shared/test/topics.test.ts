import { describe, expect, it } from 'vitest';
import { KafkaTopicName, topics } from '../src/topics.js';

describe('topics', () => {
  it('names the eight topics of the system', () => {
    expect(topics).toEqual({
      transactions: 'transactions',
      transactionsDeadLetter: 'transactions.dlq',
      alerts: 'fraud.alerts',
      labels: 'fraud.labels',
      rules: 'fraud.rules',
      lists: 'fraud.lists',
      scores: 'fraud.scores',
      ruleHits: 'fraud.rule-hits',
    });
    for (const name of Object.values(topics)) expect(KafkaTopicName.safeParse(name).success, name).toBe(true);
  });
});

describe('KafkaTopicName', () => {
  it('accepts letters, digits, dots, underscores and hyphens, up to 249 of them', () => {
    for (const name of ['t', 'fraud.alerts', 'transactions_v2', 'e2e-4f9a.labels', 'A'.repeat(249)]) {
      expect(KafkaTopicName.parse(name)).toBe(name);
    }
  });

  it('refuses what Kafka refuses, saying what it expected', () => {
    for (const name of ['', 'A'.repeat(250), 'fraud alerts', 'fraud/alerts', 'fraud:alerts', 'tópico', 'labels\n']) {
      const result = KafkaTopicName.safeParse(name);
      expect(result.success, JSON.stringify(name)).toBe(false);
      expect(result.error?.issues[0]?.message).toBe('expected a Kafka topic name (letters, digits, . _ -)');
    }
  });
});
