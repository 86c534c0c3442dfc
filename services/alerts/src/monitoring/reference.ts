import { readFile, realpath, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { z } from 'zod';
import { FeatureStatistics } from '@fraudstream/shared';

/** The model the detectors serve unless told otherwise (MODEL_DIR's default there too). */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../../../model/default', import.meta.url));

/** The part of a model's metadata.json drift monitoring reads: its version and its training distributions. */
const ReferenceMetadata = z.looseObject({
  version: z.string().min(1),
  featureStatistics: z.array(FeatureStatistics).optional(),
});

export interface DriftReference {
  modelVersion: string;
  /** Each feature's training bins; null when the model was trained before they were kept. */
  features: FeatureStatistics[] | null;
}

export interface ReferenceSource {
  /** The reference now: re-read when the directory's link or its metadata.json changed. Throws when it cannot be read. */
  current(): Promise<DriftReference>;
  readonly dir: string;
}

/**
 * The serving model's training distributions, from the model directory the detectors watch
 * (MODEL_DIR: a directory, or a link `npm run promote` swaps to a registry entry).
 */
export function modelDirReference(dir: string = DEFAULT_MODEL_DIR): ReferenceSource {
  let cached: { stamp: string; reference: DriftReference } | undefined;
  return {
    dir,
    async current() {
      const resolved = await realpath(dir);
      const file = join(resolved, 'metadata.json');
      const stamp = `${resolved}:${(await stat(file)).mtimeMs}`;
      if (cached?.stamp === stamp) return cached.reference;
      const parsed = ReferenceMetadata.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (!parsed.success) throw new Error(`${file} is not a model's metadata: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      cached = { stamp, reference: { modelVersion: parsed.data.version, features: parsed.data.featureStatistics ?? null } };
      return cached.reference;
    },
  };
}
