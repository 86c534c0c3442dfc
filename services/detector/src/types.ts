import type { Kafka, Label, Logger } from '@fraudstream/shared';
import type { OutputTopics } from './batch-output.js';
import type { DetectorRules } from './rules.js';
import type { DetectorMetrics } from './metrics.js';
import type { ModelHolder } from './model-holder.js';
import type { ProgressBoard } from './progress.js';
import type { Featurizer } from './scoring.js';

export interface DetectorTopics extends OutputTopics {
  transactions: string;
  labels: string;
}

export interface DetectorEngine extends Featurizer {
  applyLabels(labels: readonly Label[]): Promise<void>;
  /** Called on every rebalance: the cards of a partition this replica gets may have been scored elsewhere. */
  forgetCards(): void;
}

export interface DetectorOptions {
  kafka: Kafka;
  engine: DetectorEngine;
  /** 'memory' refuses to run next to other replicas: each would see a fraction of the history. */
  store: 'memory' | 'redis';
  progress: ProgressBoard;
  models: ModelHolder;
  /** A shadow challenger scored beside the serving model on every payment; it never alerts. */
  challengers?: ModelHolder;
  log: Logger;
  metrics: DetectorMetrics;
  topics: DetectorTopics;
  groupId: string;
  labelDelayMs: number;
  sessionTimeout: number;
  heartbeatInterval: number;
  maxBytesPerPartition: number;
  partitionsConsumedConcurrently: number;
  /** How long a batch waits inside eachBatch for the event-time gate before handing back to the fetch loop. */
  holdMs?: number;
  /** A transaction further ahead of its partition's event time than this is dead-lettered (see event-time-guard.ts). */
  maxEventAheadMs: number;
  /** The rules beside the model (rules.ts); without them the model's threshold alone decides. */
  rules?: DetectorRules;
  /** Called when the detector cannot go on (e.g. an in-memory store next to other replicas). */
  onFatal?: (err: Error) => void;
}

export interface DetectorStatus {
  assigned: number[];
  modelVersion: string;
  challengerVersion: string | null;
  running: boolean;
}

export interface Detector {
  /** Starts consuming; a consumer that crashes, or cannot reach the broker, is restarted until `stop()`. */
  start(): Promise<void>;
  status(): DetectorStatus;
  /**
   * Why the detector is not scoring now (empty when it is): its transactions consumer or its label
   * reader is out of its group for longer than a rebalance, has no partitions, or has fetched nothing
   * for longer than a fetch can take.
   */
  notReady(): string[];
  /** Finishes the in-flight batch, commits, leaves the group, closes producers. Harmless twice. */
  stop(): Promise<void>;
}
