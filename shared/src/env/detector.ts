import { z } from 'zod';
import { BaseEnv, KafkaEnv } from '../config.js';
import { DAY_MS } from '../durations.js';
import { KafkaTopicName, topics } from '../topics.js';

/** `host:port,host:port` as ioredis' Cluster takes its startup nodes. */
const redisClusterNodes = z
  .string()
  .transform((value) => value.split(',').map((node) => node.trim()).filter((node) => node.length > 0))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[^\s:]+:\d{1,5}$/, 'expected a comma-separated list of host:port')
          .transform((node) => ({ host: node.slice(0, node.lastIndexOf(':')), port: Number(node.slice(node.lastIndexOf(':') + 1)) }))
          .refine(({ port }) => port >= 1 && port <= 65535, 'expected a port from 1 to 65535'),
      )
      .min(1, 'expected at least one host:port'),
  );

/** Environment of the detector service (`services/detector`). */
export const DetectorEnv = BaseEnv.extend(KafkaEnv.shape).extend({
  /** Model directory (metadata.json + model.json + weights). Unset: the model shipped in model/default. */
  MODEL_DIR: z.string().min(1).optional(),
  /**
   * A challenger model scored beside the serving one on every payment, in shadow: it never alerts; its
   * score goes with the champion's on the alert, the scored topic and the metrics. Watched like MODEL_DIR.
   */
  CHALLENGER_MODEL_DIR: z.string().min(1).optional(),
  /** How often the model directory is checked for a new version. */
  MODEL_POLL_MS: z.coerce.number().int().min(100).max(3_600_000).default(2_000),
  /** Redis for the feature store, e.g. redis://127.0.0.1:6379. Required when more than one replica runs. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, message: 'expected a redis:// or rediss:// URL' }).optional(),
  /**
   * A Redis Cluster for the feature store instead: some of its nodes as host:port, comma-separated (the
   * client discovers the others). Not together with REDIS_URL.
   */
  REDIS_CLUSTER_NODES: redisClusterNodes.optional(),
  REDIS_KEY_PREFIX: z.string().default('fraudstream:'),
  /** Port of the operations HTTP server (/healthz, /readyz, /metrics); 0 picks a free one. */
  DETECTOR_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Interface the ops server binds: this machine only unless set (0.0.0.0 in the containers, for Prometheus). */
  DETECTOR_HOST: z.string().min(1).default('127.0.0.1'),
  DETECTOR_GROUP_ID: z.string().min(1).default('fraudstream-detector'),
  /**
   * Every score goes to this topic (model health, the payments store, parity checks), in the batch's
   * Kafka transaction; empty: off.
   */
  SCORES_TOPIC: z.union([z.literal(''), KafkaTopicName]).default(topics.scores),
  /** Retention of the scores topic when the detector creates it (it carries every payment). */
  SCORES_RETENTION_MS: z.coerce.number().int().min(60_000).default(7 * DAY_MS),
  TRANSACTIONS_TOPIC: KafkaTopicName.default(topics.transactions),
  LABELS_TOPIC: KafkaTopicName.default(topics.labels),
  ALERTS_TOPIC: KafkaTopicName.default(topics.alerts),
  DEAD_LETTER_TOPIC: KafkaTopicName.default(topics.transactionsDeadLetter),
  /** The rules (compacted), read in full before the detector joins its group, then live. */
  RULES_TOPIC: KafkaTopicName.default(topics.rules),
  /** The named lists the rules read (compacted). */
  LISTS_TOPIC: KafkaTopicName.default(topics.lists),
  /** Each batch's rule hit counts (exactly once, for the Rules page). */
  RULE_HITS_TOPIC: KafkaTopicName.default(topics.ruleHits),
  /** Upper bound on the bytes fetched per partition, which bounds a batch. */
  DETECTOR_MAX_BYTES_PER_PARTITION: z.coerce.number().int().min(1024).max(104_857_600).default(1_048_576),
  DETECTOR_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(30_000),
  DETECTOR_HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
  /** Batches of different partitions processed at once (each in its own Kafka transaction). */
  DETECTOR_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(12),
  /** Label delay d of the terminal windows; must match the one the model was trained with. */
  LABEL_DELAY_DAYS: z.coerce.number().int().min(0).max(90).default(7),
  /**
   * A transaction dated further ahead of its partition's newest event than this (plus the wall-clock
   * time since that one) goes to the dead-letter topic with code EVENT_TIME_AHEAD instead of being scored.
   */
  DETECTOR_MAX_EVENT_AHEAD_MS: z.coerce.number().int().min(60_000).max(365 * DAY_MS).default(DAY_MS),
}).superRefine((env, context) => {
  if (env.REDIS_URL !== undefined && env.REDIS_CLUSTER_NODES !== undefined) {
    context.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both' });
  }
  if (env.REDIS_CLUSTER_NODES !== undefined && /[{}]/.test(env.REDIS_KEY_PREFIX)) {
    context.addIssue({ code: 'custom', path: ['REDIS_KEY_PREFIX'], message: 'must not hold { or } on a Redis Cluster (the keys get hash tags of their own)' });
  }
});
export type DetectorEnv = z.infer<typeof DetectorEnv>;
