import { appendFile, cp, lstat, mkdir, open, readFile, readdir, readlink, realpath, rename, rm, symlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { FraudstreamError } from '@fraudstream/shared/errors';
import { METADATA_FILE, readMetadata } from './model.js';

/**
 * The model registry: every version ever served, each in its own directory that is never written
 * again once in place, and a history of what served when. The serving directory (the detectors'
 * MODEL_DIR) is a symbolic link into it, so a promotion or a rollback is one rename(2) of a link:
 * a detector reads either the whole old model or the whole new one, never half of each.
 *
 *   model/default -> registry/mlp-…-b     (the serving link)
 *   model/registry/mlp-…-a/               (model.json, weights.bin, metadata.json, report.html)
 *   model/registry/mlp-…-b/
 *   model/registry/history.jsonl          (one line per promotion or rollback)
 */

export const HistoryEntry = z.object({
  at: z.string(),
  action: z.enum(['promote', 'rollback']),
  /** The version serving after this entry. */
  version: z.string(),
  /** The version it replaced (absent for the first). */
  previous: z.string().optional(),
  by: z.string(),
  /** Why a gate was overridden (--force) or a rollback made. */
  reason: z.string().optional(),
  forced: z.boolean().optional(),
  /** What the gate found, when it was overridden. */
  overridden: z.array(z.string()).optional(),
  /** The comparison the promotion was decided on. */
  comparison: z.record(z.string(), z.unknown()).optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

const HISTORY_FILE = 'history.jsonl';
const LOCK_FILE = '.lock';

/** The registry of a serving directory: its sibling `registry/` unless given. */
export function defaultRegistryDir(modelDir: string): string {
  return join(dirname(resolve(modelDir)), 'registry');
}

const isValidVersionName = (version: string): boolean => /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(version);

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** The files a model directory is made of: model.json, the weight files it names, metadata.json, and report.html if there. */
async function modelFiles(dir: string): Promise<string[]> {
  let manifest: { weightsManifest?: { paths?: unknown }[] };
  try {
    manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as typeof manifest;
  } catch (err) {
    throw new FraudstreamError('MODEL_INVALID', `Cannot read the model in ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const weights = (manifest.weightsManifest ?? []).flatMap((group) => (Array.isArray(group.paths) ? group.paths.map(String) : []));
  if (weights.some((path) => basename(path) !== path)) throw new FraudstreamError('MODEL_INVALID', `${dir}/model.json names weight files outside its directory`);
  const files = ['model.json', ...weights, METADATA_FILE];
  // a model without its training report is still a model
  if (await exists(join(dir, 'report.html'))) files.push('report.html');
  return files;
}

/**
 * Copies a model directory into the registry under its version (staged aside, then renamed into
 * place, so the registry never holds a partial version). A version already there is reused.
 */
export async function addToRegistry(registryDir: string, sourceDir: string): Promise<{ version: string; dir: string }> {
  const { version } = await readMetadata(sourceDir);
  if (!isValidVersionName(version)) throw new FraudstreamError('MODEL_INVALID', `Model version ${JSON.stringify(version)} cannot name a registry directory`);
  const target = join(registryDir, version);
  await mkdir(registryDir, { recursive: true });
  if (await exists(target)) {
    const existing = await readMetadata(target);
    if (existing.version !== version) throw new FraudstreamError('MODEL_INVALID', `${target} holds version ${existing.version}, not ${version}`);
    return { version, dir: target };
  }
  const staging = join(registryDir, `.incoming-${version}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  for (const file of await modelFiles(sourceDir)) await cp(join(sourceDir, file), join(staging, file), { dereference: true });
  await rename(staging, target);
  return { version, dir: target };
}

/** The registry directory the serving link points at, or undefined when the serving directory is a plain directory (or absent). */
export async function servingTarget(modelDir: string): Promise<string | undefined> {
  try {
    const link = await readlink(modelDir);
    return resolve(dirname(resolve(modelDir)), link);
  } catch {
    return undefined;
  }
}

/**
 * Points the serving directory at a registry version in one atomic rename of a link. A serving
 * directory that is still a plain directory (the shipped model before the first promotion) must be
 * in the registry already; it is moved aside for the instant of the swap, then removed.
 */
export async function pointServingAt(modelDir: string, versionDir: string): Promise<void> {
  const serving = resolve(modelDir);
  const next = `${serving}.next-${process.pid}`;
  await rm(next, { force: true });
  await symlink(relative(dirname(serving), resolve(versionDir)), next, 'dir');
  const plainDirectory = await lstat(serving).then(
    (info) => !info.isSymbolicLink(),
    () => false,
  );
  if (plainDirectory) {
    const aside = `${serving}.replaced-${process.pid}`;
    await rename(serving, aside);
    await rename(next, serving);
    await rm(aside, { recursive: true, force: true });
    return;
  }
  await rename(next, serving);
}

export async function readHistory(registryDir: string): Promise<HistoryEntry[]> {
  let text: string;
  try {
    text = await readFile(join(registryDir, HISTORY_FILE), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      const parsed = HistoryEntry.safeParse(JSON.parse(line));
      return parsed.success ? [parsed.data] : [];
    });
}

export async function appendHistory(registryDir: string, entry: Omit<HistoryEntry, 'at' | 'by'>): Promise<HistoryEntry> {
  const full: HistoryEntry = { at: new Date().toISOString(), by: whoAmI(), ...entry };
  await appendFile(join(registryDir, HISTORY_FILE), `${JSON.stringify(full)}\n`);
  return full;
}

function whoAmI(): string {
  try {
    return process.env['USER'] ?? userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The version a rollback returns to: the one the current version's latest promotion replaced. */
export function rollbackTarget(history: readonly HistoryEntry[], current: string): string | undefined {
  for (let index = history.length - 1; index >= 0; index--) {
    const entry = history[index]!;
    if (entry.action === 'promote' && entry.version === current) return entry.previous;
  }
  return undefined;
}

/** The versions in the registry, oldest first by their metadata's creation time. */
export async function registryVersions(registryDir: string): Promise<{ version: string; createdAt: string; dir: string }[]> {
  let names: string[];
  try {
    names = await readdir(registryDir);
  } catch {
    return [];
  }
  const versions = await Promise.all(
    names
      .filter((name) => !name.startsWith('.') && name !== HISTORY_FILE)
      .map(async (name) => {
        try {
          const metadata = await readMetadata(join(registryDir, name));
          return [{ version: metadata.version, createdAt: metadata.createdAt, dir: join(registryDir, name) }];
        } catch {
          return [];
        }
      }),
  );
  return versions.flat().sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * Holds the registry's lock (a file created exclusively) while `work` runs: two promotions at once
 * would race on the serving link and the history. A lock left by a process that died is taken over.
 */
export async function withRegistryLock<T>(registryDir: string, work: () => Promise<T>): Promise<T> {
  await mkdir(registryDir, { recursive: true });
  const path = join(registryDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        throw new FraudstreamError('REGISTRY_BUSY', `The model registry ${registryDir} is locked by another promotion (${path}); try again when it has finished`, { cause: err });
      }
      const holder = Number(await readFile(path, 'utf8').catch(() => ''));
      if (Number.isSafeInteger(holder) && holder > 0 && isAlive(holder)) {
        throw new FraudstreamError('REGISTRY_BUSY', `The model registry ${registryDir} is locked by another promotion (process ${holder}); try again when it has finished`);
      }
      await rm(path, { force: true });
    }
  }
  try {
    return await work();
  } finally {
    await rm(path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The real directory a serving path resolves to now (through the link), for loading one consistent version. */
export const resolvedModelDir = (modelDir: string): Promise<string> => realpath(modelDir);
