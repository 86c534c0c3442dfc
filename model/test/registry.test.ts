import { lstat, mkdir, mkdtemp, readFile, readlink, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isFraudstreamError } from '@fraudstream/shared';
import {
  addToRegistry,
  appendHistory,
  defaultRegistryDir,
  pointServingAt,
  readHistory,
  registryVersions,
  rollbackTarget,
  servingTarget,
  withRegistryLock,
  type HistoryEntry,
} from '../src/registry.js';
import { readMetadata } from '../src/model.js';

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function root(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fraudstream-registry-'));
  roots.push(dir);
  return dir;
}

/** A model directory as train writes it (its files' contents are not read here beyond metadata.json). */
async function modelDir(dir: string, version: string, createdAt = '2026-11-01T00:00:00.000Z'): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] }));
  await writeFile(join(dir, 'weights.bin'), version);
  await writeFile(join(dir, 'report.html'), `<p>${version}</p>`);
  await writeFile(join(dir, 'stray.tmp'), 'not part of the model');
  await writeFile(
    join(dir, 'metadata.json'),
    JSON.stringify({ formatVersion: 1, version, createdAt, featureNames: [], normalisation: { mean: [], std: [] }, threshold: { value: 0.5, method: 'test' }, training: {}, validation: { rows: 1, frauds: 0, aucRoc: 0.5, averagePrecision: 0 } }),
  );
  return dir;
}

describe('the model registry', () => {
  it('adds a model under its version with its files only, and reuses a version already there', async () => {
    const base = await root();
    const registry = join(base, 'registry');
    const added = await addToRegistry(registry, await modelDir(join(base, 'candidate'), 'v2'));
    expect(added).toEqual({ version: 'v2', dir: join(registry, 'v2') });
    expect((await readdir(added.dir)).sort()).toEqual(['metadata.json', 'model.json', 'report.html', 'weights.bin']);
    expect(await readdir(registry)).toEqual(['v2']); // no staging directory left behind
    await writeFile(join(base, 'candidate', 'weights.bin'), 'changed');
    await addToRegistry(registry, join(base, 'candidate'));
    expect(await readFile(join(added.dir, 'weights.bin'), 'utf8')).toBe('v2'); // a registry version is never rewritten
  });

  it('turns a plain serving directory into a link, then swaps the link atomically', async () => {
    const base = await root();
    const serving = await modelDir(join(base, 'default'), 'v1');
    const registry = defaultRegistryDir(serving);
    expect(registry).toBe(join(base, 'registry'));
    expect(await servingTarget(serving)).toBeUndefined();

    const v1 = await addToRegistry(registry, serving);
    const v2 = await addToRegistry(registry, await modelDir(join(base, 'candidate'), 'v2'));
    await pointServingAt(serving, v2.dir);
    expect((await lstat(serving)).isSymbolicLink()).toBe(true);
    expect(await readlink(serving)).toBe(join('registry', 'v2')); // relative: valid wherever the folder is mounted
    expect((await readMetadata(serving)).version).toBe('v2');
    expect(await servingTarget(serving)).toBe(v2.dir);

    await pointServingAt(serving, v1.dir);
    expect((await readMetadata(serving)).version).toBe('v1');
    expect((await readdir(base)).sort()).toEqual(['candidate', 'default', 'registry']); // no link or directory left aside
  });

  it('records history and rolls back along the promotions, not back and forth', async () => {
    const base = await root();
    await mkdir(base, { recursive: true });
    await appendHistory(base, { action: 'promote', version: 'v2', previous: 'v1' });
    await appendHistory(base, { action: 'promote', version: 'v3', previous: 'v2', forced: true, reason: 'hotfix', overridden: ['worse'] });
    await writeFile(join(base, 'history.jsonl'), `${await readFile(join(base, 'history.jsonl'), 'utf8')}{"not":"an entry"}\n`);
    const history = await readHistory(base);
    expect(history.map((entry) => [entry.action, entry.version, entry.previous])).toEqual([
      ['promote', 'v2', 'v1'],
      ['promote', 'v3', 'v2'],
    ]);
    expect(history[1]).toMatchObject({ forced: true, reason: 'hotfix', overridden: ['worse'] });
    expect(history[0]!.by).not.toBe('');
    expect(Date.parse(history[0]!.at)).not.toBeNaN();

    expect(rollbackTarget(history, 'v3')).toBe('v2');
    const afterRollback: HistoryEntry[] = [...history, { at: '', by: '', action: 'rollback', version: 'v2', previous: 'v3' }];
    expect(rollbackTarget(afterRollback, 'v2')).toBe('v1'); // a second rollback goes one more step back
    expect(rollbackTarget(afterRollback, 'v1')).toBeUndefined();
  });

  it('lists its versions oldest first', async () => {
    const base = await root();
    await addToRegistry(base, await modelDir(join(base, '..', `${base.split('/').at(-1)}-b`), 'b', '2026-11-02T00:00:00.000Z'));
    await addToRegistry(base, await modelDir(join(base, '..', `${base.split('/').at(-1)}-a`), 'a', '2026-11-01T00:00:00.000Z'));
    roots.push(`${base}-a`, `${base}-b`);
    await appendHistory(base, { action: 'promote', version: 'b' });
    expect((await registryVersions(base)).map((entry) => entry.version)).toEqual(['a', 'b']);
  });

  it('lets one promotion at a time hold the lock, and takes over one left by a dead process', async () => {
    const base = await root();
    let release = (): void => undefined;
    let entered = (): void => undefined;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const first = withRegistryLock(base, () => {
      entered();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await inside;
    const second = await withRegistryLock(base, () => Promise.resolve('ran')).catch((err: unknown) => err);
    expect(isFraudstreamError(second, 'REGISTRY_BUSY')).toBe(true);
    release();
    await first;
    expect(await withRegistryLock(base, () => Promise.resolve('ran'))).toBe('ran');

    await writeFile(join(base, '.lock'), '999999999'); // no such process
    expect(await withRegistryLock(base, () => Promise.resolve('took over'))).toBe('took over');
    expect(await readdir(base)).toEqual([]);
  });
});
