import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@fraudstream/shared';
import type { FraudModel } from '@fraudstream/model';

export interface ModelHolder {
  /** The model serving now. A batch reads it once, so a swap always falls between batches. */
  current(): FraudModel;
  /** Checks the directory now and swaps in a new version if it loads; resolves to whether it swapped. */
  reload(): Promise<boolean>;
  /** Subscribes to swaps (metrics, logs). */
  onSwap(listener: (model: FraudModel) => void): void;
  close(): void;
}

export interface ModelHolderOptions {
  dir: string;
  load: (dir: string) => Promise<FraudModel>;
  log: Logger;
  /** How often metadata.json's modification time is checked; 0 disables watching. */
  pollMs: number;
}

/**
 * Where the directory resolves now and its metadata.json's modification: `npm run promote` swaps a
 * link to an immutable registry directory, and loading from the resolved directory reads one version
 * whole even if the link moves meanwhile.
 */
async function metadataStamp(dir: string): Promise<{ stamp: string; resolved: string } | undefined> {
  try {
    const resolved = await realpath(dir);
    const info = await stat(join(resolved, 'metadata.json'));
    return { stamp: `${resolved}:${info.mtimeMs}:${info.size}`, resolved };
  } catch {
    return undefined;
  }
}

/**
 * Loads the model once (a failure here stops the service) and then polls metadata.json and where the
 * directory's link points: a directory rewritten in place changes the file written last (train writes
 * metadata.json after the weights), a promotion moves the link. Polling is portable and debounced by the
 * interval. A new version that fails to load, or whose features differ, is refused with an error log
 * and the old model keeps serving.
 */
export async function createModelHolder({ dir, load, log, pollMs }: ModelHolderOptions): Promise<ModelHolder> {
  const first = await metadataStamp(dir);
  let model = await load(first?.resolved ?? dir);
  let stamp = first?.stamp;
  let refusedStamp: string | undefined;
  const listeners: Array<(model: FraudModel) => void> = [];
  let checking: Promise<boolean> | undefined;
  log.info({ dir, version: model.version, threshold: model.threshold }, 'model loaded');

  const check = async (): Promise<boolean> => {
    const next = await metadataStamp(dir);
    if (next === undefined || next.stamp === stamp || next.stamp === refusedStamp) return false;
    try {
      const candidate = await load(next.resolved);
      stamp = next.stamp;
      if (candidate.version === model.version) {
        log.info({ version: candidate.version }, 'model directory changed; same version, kept');
        return false;
      }
      const previous = model.version;
      model = candidate;
      log.info({ dir, from: next.resolved, previous, version: model.version, threshold: model.threshold }, 'model swapped');
      for (const listener of listeners) listener(model);
      return true;
    } catch (err) {
      refusedStamp = next.stamp;
      log.error({ err, dir, serving: model.version }, 'new model refused; the current one keeps serving');
      return false;
    }
  };

  const reload = (): Promise<boolean> => {
    checking ??= check().finally(() => {
      checking = undefined;
    });
    return checking;
  };

  const timer = pollMs > 0 ? setInterval(() => void reload(), pollMs) : undefined;
  timer?.unref();

  return {
    current: () => model,
    reload,
    onSwap: (listener) => listeners.push(listener),
    close: () => clearInterval(timer),
  };
}
