import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

/** The service's Prometheus metrics, in a registry of its own (tests run several apps in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    alertsStored: new Counter({
      name: 'fraudstream_alerts_stored_total',
      help: 'Alerts consumed from Kafka and stored for the first time',
      registers: [registry],
    }),
    alertsDuplicate: new Counter({
      name: 'fraudstream_alerts_duplicate_total',
      help: 'Alerts consumed that were already stored (redelivery or a duplicate event)',
      registers: [registry],
    }),
    alertsInvalid: new Counter({
      name: 'fraudstream_alerts_invalid_total',
      help: 'Messages on the alerts topic that failed to decode and were skipped',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    controlInvalid: new Counter({
      name: 'fraudstream_alerts_control_invalid_total',
      help: 'Events on the rules or lists topic that are not a valid Rule or NamedList, skipped',
      labelNames: ['topic'] as const,
      registers: [registry],
    }),
    consumerUp: new Gauge({
      name: 'fraudstream_alerts_consumer_up',
      help: 'Whether the alerts consumer is a member of its group and fetching (1) or not (0)',
      registers: [registry],
    }),
    consumerCrashes: new Counter({
      name: 'fraudstream_alerts_consumer_crashes_total',
      help: 'Alerts consumer crashes, by who restarts it: "kafkajs" (a retriable error) or "supervisor"',
      labelNames: ['restart'] as const,
      registers: [registry],
    }),
    ruleHitsConsumerUp: new Gauge({
      name: 'fraudstream_alerts_rule_hits_consumer_up',
      help: 'Whether the rule hits consumer (fraud.rule-hits, for GET /rule-hits) is in its group and fetching (1) or not (0)',
      registers: [registry],
    }),
    ruleHitsConsumerCrashes: new Counter({
      name: 'fraudstream_alerts_rule_hits_consumer_crashes_total',
      help: 'Rule hits consumer crashes, by who restarts it: "kafkajs" (a retriable error) or "supervisor"',
      labelNames: ['restart'] as const,
      registers: [registry],
    }),
    ruleHitsInvalid: new Counter({
      name: 'fraudstream_alerts_rule_hits_invalid_total',
      help: 'Messages on the rule hits topic that are not rule hit counts (skipped, logged with their offset)',
      registers: [registry],
    }),
    feedback: new Counter({
      name: 'fraudstream_alerts_feedback_total',
      help: 'Analyst verdicts recorded (each with its label queued in the outbox for fraud.labels)',
      labelNames: ['label'] as const,
      registers: [registry],
    }),
    outboxPending: new Gauge({
      name: 'fraudstream_alerts_outbox_pending',
      help: 'Labels recorded with a verdict and not yet acknowledged by Kafka on fraud.labels',
      registers: [registry],
    }),
    outboxOldestAge: new Gauge({
      name: 'fraudstream_alerts_outbox_oldest_pending_age_seconds',
      help: 'How long the oldest pending label has waited for Kafka (0 when none is pending)',
      registers: [registry],
    }),
    labelsPublished: new Counter({
      name: 'fraudstream_alerts_labels_published_total',
      help: 'Labels from the outbox acknowledged by Kafka on fraud.labels',
      registers: [registry],
    }),
    labelPublishFailures: new Counter({
      name: 'fraudstream_alerts_label_publish_failures_total',
      help: 'Outbox publishing rounds that failed (Kafka or the database); retried with backoff',
      registers: [registry],
    }),
    streamClients: new Gauge({
      name: 'fraudstream_alerts_stream_clients',
      help: 'Open Server-Sent Events streams',
      registers: [registry],
    }),
    streamsRefused: new Counter({
      name: 'fraudstream_alerts_streams_refused_total',
      help: 'Stream requests answered 429 because ALERTS_MAX_STREAMS streams were open',
      registers: [registry],
    }),
    streamsCutOff: new Counter({
      name: 'fraudstream_alerts_stream_slow_clients_total',
      help: 'Streams cut off because their client fell too far behind (it resumes with Last-Event-ID)',
      registers: [registry],
    }),
    streamQueryFailures: new Counter({
      name: 'fraudstream_alerts_stream_query_failures_total',
      help: 'Stream queries that failed, by query (broadcast, catch-up, open); the streams stay open and the next wake-up retries',
      labelNames: ['query'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'fraudstream_alerts_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
}
