/** Every Kafka topic fraudstream uses, named in one place. */
export const topics = {
  transactions: 'transactions',
  transactionsDeadLetter: 'transactions.dlq',
  alerts: 'fraud.alerts',
  labels: 'fraud.labels',
} as const;

export type TopicName = (typeof topics)[keyof typeof topics];
