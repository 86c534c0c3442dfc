import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface DetectorMetrics {
  registry: Registry;
  consumed: Counter<'topic'>;
  scored: Counter;
  flagged: Counter;
  deadLettered: Counter<'code'>;
  labelsApplied: Counter;
  ruleHits: Counter<'rule' | 'action' | 'mode'>;
  ruleErrors: Counter<'rule'>;
  rulesRefused: Counter<'rule'>;
  controlInvalid: Counter<'topic'>;
  alertsSuppressed: Counter<'decision'>;
  rulesLoaded: Gauge<'mode'>;
  ruleVersion: Gauge<'rule' | 'mode'>;
  batchDuration: Histogram;
  scoringDuration: Histogram;
  consumerLag: Gauge<'topic' | 'partition'>;
  modelInfo: Gauge<'version'>;
  challengerInfo: Gauge<'version'>;
  challengerAgreement: Counter<'champion' | 'challenger'>;
  challengerErrors: Counter;
  scores: Histogram<'model'>;
  assignedPartitions: Gauge;
  heldBatches: Counter;
  commits: Counter<'kind'>;
  consumerUp: Gauge<'consumer'>;
  consumerCrashes: Counter<'consumer' | 'restart'>;
  eventTimeRejected: Counter;
}

/** The detector's Prometheus metrics, in their own registry (tests run several detectors in one process). */
export function createDetectorMetrics(): DetectorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'fraudstream_detector_' });
  const registers = [registry];
  return {
    registry,
    consumed: new Counter({ name: 'fraudstream_detector_consumed_total', help: 'Messages consumed', labelNames: ['topic'], registers }),
    scored: new Counter({ name: 'fraudstream_detector_scored_total', help: 'Transactions scored', registers }),
    flagged: new Counter({ name: 'fraudstream_detector_flagged_total', help: 'Transactions flagged (alerts produced)', registers }),
    deadLettered: new Counter({
      name: 'fraudstream_detector_dead_lettered_total',
      help: 'Invalid messages sent to the dead-letter topic, by reason',
      labelNames: ['code'],
      registers,
    }),
    ruleHits: new Counter({
      name: 'fraudstream_detector_rule_hits_total',
      help: 'Payments a rule matched, by rule, action and mode (shadow hits change nothing)',
      labelNames: ['rule', 'action', 'mode'],
      registers,
    }),
    ruleErrors: new Counter({
      name: 'fraudstream_detector_rule_errors_total',
      help: 'Rule evaluations that failed at run time (counted as non-hits), by rule',
      labelNames: ['rule'],
      registers,
    }),
    rulesRefused: new Counter({
      name: 'fraudstream_detector_rules_refused_total',
      help: 'Rule events that did not compile (the rule keeps its previous version), by rule',
      labelNames: ['rule'],
      registers,
    }),
    controlInvalid: new Counter({
      name: 'fraudstream_detector_control_invalid_total',
      help: 'Events on the rules or lists topic that are not a valid Rule or NamedList, skipped',
      labelNames: ['topic'],
      registers,
    }),
    alertsSuppressed: new Counter({
      name: 'fraudstream_detector_alerts_suppressed_total',
      help: 'Alerts an allow rule suppressed, by the decision they would have had',
      labelNames: ['decision'],
      registers,
    }),
    rulesLoaded: new Gauge({ name: 'fraudstream_detector_rules_loaded', help: 'Rules loaded, by mode', labelNames: ['mode'], registers }),
    ruleVersion: new Gauge({ name: 'fraudstream_detector_rule_version', help: 'The version of each loaded rule', labelNames: ['rule', 'mode'], registers }),
    labelsApplied: new Counter({ name: 'fraudstream_detector_labels_applied_total', help: 'Labels applied to the feature store', registers }),
    batchDuration: new Histogram({
      name: 'fraudstream_detector_batch_duration_seconds',
      help: 'Time to process one batch, from decode to transaction commit',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    scoringDuration: new Histogram({
      name: 'fraudstream_detector_scoring_duration_seconds',
      help: 'Time spent in the model per batch (scores and reasons)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'fraudstream_detector_consumer_lag',
      help: 'Messages behind the end of the partition after the last batch',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    modelInfo: new Gauge({ name: 'fraudstream_detector_model_info', help: 'The model version serving (value 1)', labelNames: ['version'], registers }),
    challengerInfo: new Gauge({ name: 'fraudstream_detector_challenger_info', help: 'The shadow challenger model version (value 1), when CHALLENGER_MODEL_DIR is set', labelNames: ['version'], registers }),
    challengerAgreement: new Counter({
      name: 'fraudstream_detector_challenger_agreement_total',
      help: 'Payments scored by both models, by what each model alone (score against its threshold, rules aside) would do: alert or pass',
      labelNames: ['champion', 'challenger'],
      registers,
    }),
    challengerErrors: new Counter({ name: 'fraudstream_detector_challenger_errors_total', help: 'Batches the challenger failed to score (the champion scored them)', registers }),
    scores: new Histogram({
      name: 'fraudstream_detector_score',
      help: 'Scores of the champion and the challenger on the same payments (observed while a challenger runs)',
      labelNames: ['model'],
      buckets: [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99],
      registers,
    }),
    assignedPartitions: new Gauge({ name: 'fraudstream_detector_assigned_partitions', help: 'Transaction partitions assigned to this replica', registers }),
    heldBatches: new Counter({
      name: 'fraudstream_detector_held_batches_total',
      help: 'Batches held back until labels and other partitions caught up in event time',
      registers,
    }),
    commits: new Counter({
      name: 'fraudstream_detector_commits_total',
      help: 'Batches committed: kind "transaction" (output and offsets in one Kafka transaction) or "offsets" (nothing to write: the offsets alone)',
      labelNames: ['kind'],
      registers,
    }),
    consumerUp: new Gauge({
      name: 'fraudstream_detector_consumer_up',
      help: 'Whether the consumer is a member of its group and fetching (1) or not (0: starting, rebalancing, crashed, stopped)',
      labelNames: ['consumer'],
      registers,
    }),
    consumerCrashes: new Counter({
      name: 'fraudstream_detector_consumer_crashes_total',
      help: 'Consumer crashes, by who restarts it: "kafkajs" (a retriable error) or "supervisor" (the detector reconnects it)',
      labelNames: ['consumer', 'restart'],
      registers,
    }),
    eventTimeRejected: new Counter({
      name: 'fraudstream_detector_event_time_rejected_total',
      help: 'Transactions dead-lettered because their event time is too far ahead of their partition\'s',
      registers,
    }),
  };
}
