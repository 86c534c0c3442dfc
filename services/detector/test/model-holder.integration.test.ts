import { mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FraudstreamError } from '@fraudstream/shared';
import type { FraudModel } from '@fraudstream/model';
import { createModelHolder } from '../src/model-holder.js';
import { testLog } from '../../../test/support/kafka.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A loader over metadata.json alone: `{ version }` loads, `{ broken: true }` is refused like a bad model. */
async function load(dir: string): Promise<FraudModel> {
  const { readFile } = await import('node:fs/promises');
  const metadata = JSON.parse(await readFile(join(dir, 'metadata.json'), 'utf8')) as { version?: string; broken?: boolean };
  if (metadata.broken || !metadata.version) throw new FraudstreamError('FEATURES_MISMATCH', 'features differ');
  return { version: metadata.version, featureNames: [], threshold: 0.5, featureMeans: [], predict: () => Promise.resolve(new Float32Array()) };
}

async function modelDir(version: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'detector-model-'));
  dirs.push(dir);
  await writeFile(join(dir, 'metadata.json'), JSON.stringify({ version }));
  return dir;
}

// A different mtime even on coarse file systems: the stamp also holds the size.
const rewrite = (dir: string, metadata: object) => writeFile(join(dir, 'metadata.json'), JSON.stringify({ ...metadata, pad: 'x'.repeat(Math.floor(Math.random() * 50)) }));

describe('model holder', () => {
  it('swaps in a new version and refuses one that fails to load, keeping the old one', async () => {
    const dir = await modelDir('v1');
    const holder = await createModelHolder({ dir, load, log: testLog, pollMs: 0 });
    const swaps: string[] = [];
    holder.onSwap((model) => swaps.push(model.version));
    expect(holder.current().version).toBe('v1');
    expect(await holder.reload()).toBe(false);

    await rewrite(dir, { version: 'v2' });
    expect(await holder.reload()).toBe(true);
    expect(holder.current().version).toBe('v2');

    await rewrite(dir, { broken: true });
    expect(await holder.reload()).toBe(false);
    expect(holder.current().version).toBe('v2');
    expect(swaps).toEqual(['v2']);
    holder.close();
  });

  it('notices a change by itself when polling', async () => {
    const dir = await modelDir('v1');
    const holder = await createModelHolder({ dir, load, log: testLog, pollMs: 100 });
    await rewrite(dir, { version: 'v3' });
    await expect.poll(() => holder.current().version, { timeout: 5_000 }).toBe('v3');
    holder.close();
  });

  it('follows a serving link swapped to another directory, loading from where it points', async () => {
    const v1 = await modelDir('v1');
    const v2 = await modelDir('v2');
    const root = await mkdtemp(join(tmpdir(), 'detector-link-'));
    dirs.push(root);
    const serving = join(root, 'serving');
    await symlink(v1, serving);
    const loadedFrom: string[] = [];
    const holder = await createModelHolder({ dir: serving, load: (dir) => (loadedFrom.push(dir), load(dir)), log: testLog, pollMs: 0 });
    expect(holder.current().version).toBe('v1');
    // as npm run promote swaps it: a new link renamed over the old one
    await symlink(v2, `${serving}.next`);
    await rename(`${serving}.next`, serving);
    expect(await holder.reload()).toBe(true);
    expect(holder.current().version).toBe('v2');
    expect(loadedFrom).toEqual([v1, v2]);
    holder.close();
  });

  it('fails to start without a loadable model', async () => {
    const dir = await modelDir('');
    await expect(createModelHolder({ dir, load, log: testLog, pollMs: 0 })).rejects.toThrow('features differ');
  });
});
