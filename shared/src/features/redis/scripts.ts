import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

/** The scripts' text, read once when the store's module loads. */
const RECORD_FEATURES_SCRIPT = readFileSync(new URL('./record-features.lua', import.meta.url), 'utf8');
const RECORD_LABELS_SCRIPT = readFileSync(new URL('./record-labels.lua', import.meta.url), 'utf8');

/** record-features.lua's reply: each read's members and scores, then each label set's version and, if it moved, its entries. */
export type RecordFeaturesReply = [string[][], ([string] | [string, string[]])[]];

/** A single Redis or a Redis Cluster (whose client runs each call on the node serving its keys' slot). */
export type FeatureRedis = Redis | Cluster;

export interface FeatureScripts {
  // ioredis flattens an array argument: a batch's many arguments must not be spread into a call (stack).
  fraudstreamRecordFeatures(args: (string | number)[]): Promise<RecordFeaturesReply>;
  fraudstreamRecordLabels(args: (string | number)[]): Promise<number>;
}

export type ScriptedRedis = FeatureRedis & FeatureScripts;

/**
 * The client with the store's scripts as commands (EVALSHA, falling back to EVAL once per connection).
 * A client shared by several stores gets them once.
 */
export function withFeatureScripts(client: FeatureRedis): ScriptedRedis {
  const scripted = client as ScriptedRedis;
  if (typeof scripted.fraudstreamRecordFeatures !== 'function') {
    scripted.defineCommand('fraudstreamRecordFeatures', { lua: RECORD_FEATURES_SCRIPT });
  }
  if (typeof scripted.fraudstreamRecordLabels !== 'function') {
    scripted.defineCommand('fraudstreamRecordLabels', { lua: RECORD_LABELS_SCRIPT });
  }
  return scripted;
}
