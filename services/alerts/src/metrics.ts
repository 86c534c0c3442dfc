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
      help: 'Open Server-Sent Events streams, by stream (alert: /alerts/stream, case: /cases/stream)',
      labelNames: ['stream'] as const,
      registers: [registry],
    }),
    streamsRefused: new Counter({
      name: 'fraudstream_alerts_streams_refused_total',
      help: 'Stream requests answered 429 because ALERTS_MAX_STREAMS streams of that kind were open',
      labelNames: ['stream'] as const,
      registers: [registry],
    }),
    streamsCutOff: new Counter({
      name: 'fraudstream_alerts_stream_slow_clients_total',
      help: 'Streams cut off because their client fell too far behind (it resumes with Last-Event-ID)',
      labelNames: ['stream'] as const,
      registers: [registry],
    }),
    streamQueryFailures: new Counter({
      name: 'fraudstream_alerts_stream_query_failures_total',
      help: 'Stream queries that failed, by query (broadcast, catch-up, open); the streams stay open and the next wake-up retries',
      labelNames: ['stream', 'query'] as const,
      registers: [registry],
    }),
    casesDecided: new Counter({
      name: 'fraudstream_alerts_cases_decided_total',
      help: 'Cases decided through POST /cases/{caseId}/decision, by label (each of their open alerts counts in feedback_total)',
      labelNames: ['label'] as const,
      registers: [registry],
    }),
    paymentsStored: new Counter({
      name: 'fraudstream_payments_stored_total',
      help: 'Scored payments consumed from fraud.scores and stored in the payments store for the first time',
      registers: [registry],
    }),
    paymentsTooOld: new Counter({
      name: 'fraudstream_payments_too_old_total',
      help: 'Scored payments skipped because their day is older than the days kept (PAYMENTS_KEEP_DAYS)',
      registers: [registry],
    }),
    paymentLabelsStored: new Counter({
      name: 'fraudstream_payment_labels_stored_total',
      help: 'Labels from fraud.labels that set or changed a payment\'s label in the payments store',
      registers: [registry],
    }),
    paymentsInvalid: new Counter({
      name: 'fraudstream_payments_invalid_total',
      help: 'Messages on fraud.scores or fraud.labels the payments store could not decode (skipped, logged with their offset)',
      labelNames: ['topic', 'code'] as const,
      registers: [registry],
    }),
    paymentsConsumerUp: new Gauge({
      name: 'fraudstream_payments_consumer_up',
      help: 'Whether the payments store\'s consumer (scores or labels) is in its group and fetching (1) or not (0)',
      labelNames: ['consumer'] as const,
      registers: [registry],
    }),
    paymentsConsumerCrashes: new Counter({
      name: 'fraudstream_payments_consumer_crashes_total',
      help: 'Payments store consumer crashes, by consumer and by who restarts it',
      labelNames: ['consumer', 'restart'] as const,
      registers: [registry],
    }),
    featurePsi: new Gauge({
      name: 'fraudstream_model_feature_psi',
      help: 'Population stability index of each model feature over the drift window against the serving model\'s training distribution',
      labelNames: ['feature'] as const,
      registers: [registry],
    }),
    driftStatus: new Gauge({
      name: 'fraudstream_model_drift_status',
      help: 'Drift status of each feature: 0 ok, 1 warn, 2 alert (MODEL_HEALTH_PSI_WARN / MODEL_HEALTH_PSI_ALERT)',
      labelNames: ['feature'] as const,
      registers: [registry],
    }),
    scorePsi: new Gauge({
      name: 'fraudstream_model_score_psi',
      help: 'Population stability index of the score distribution over the drift window against the week before it',
      registers: [registry],
    }),
    modelPrecision: new Gauge({
      name: 'fraudstream_model_precision',
      help: 'Precision of the latest mature day (labels final), by role (champion, challenger) and model version',
      labelNames: ['role', 'model_version'] as const,
      registers: [registry],
    }),
    modelRecall: new Gauge({
      name: 'fraudstream_model_recall',
      help: 'Recall of the latest mature day, by role and model version',
      labelNames: ['role', 'model_version'] as const,
      registers: [registry],
    }),
    modelCardPrecision: new Gauge({
      name: 'fraudstream_model_card_precision_at_100',
      help: 'Card precision@100 of the latest mature day, by role and model version',
      labelNames: ['role', 'model_version'] as const,
      registers: [registry],
    }),
    matureDay: new Gauge({
      name: 'fraudstream_model_mature_day_timestamp_seconds',
      help: 'Start (UTC, event time) of the latest mature day, by role',
      labelNames: ['role'] as const,
      registers: [registry],
    }),
    modelHealthRefreshFailures: new Counter({
      name: 'fraudstream_model_health_refresh_failures_total',
      help: 'Model health computations that failed (the database); the last good figures stay served',
      registers: [registry],
    }),
    modelHealthDuration: new Histogram({
      name: 'fraudstream_model_health_refresh_duration_seconds',
      help: 'Time to compute model health over the stored days',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
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
