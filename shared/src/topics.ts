import { z } from 'zod';

/** Every Kafka topic fraudstream uses, named in one place: the defaults of every *_TOPIC variable. */
export const topics = {
  transactions: 'transactions',
  transactionsDeadLetter: 'transactions.dlq',
  alerts: 'fraud.alerts',
  labels: 'fraud.labels',
  /** Compacted: key = rule id, a tombstone deletes the rule. */
  rules: 'fraud.rules',
  /** Compacted: key = list name, a tombstone deletes the list. */
  lists: 'fraud.lists',
  /** Every score of every payment (champion, challenger, decision, rule hits, features), in the batch's Kafka transaction. */
  scores: 'fraud.scores',
  /** The detectors' rule hit counts, one message per batch, in the batch's Kafka transaction. */
  ruleHits: 'fraud.rule-hits',
} as const;

/** What Kafka accepts as a topic name. */
export const KafkaTopicName = z.string().regex(/^[\w.-]{1,249}$/, 'expected a Kafka topic name (letters, digits, . _ -)');
