import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A freshly initialised PGlite data directory (a tarball) that every test file's PGlite starts from. */
    pgliteDataDir: string;
  }
}

/**
 * Initialises PGlite once for the whole run (it takes seconds; loading a copy takes a fraction of
 * that) and hands the data directory's tarball to every test file (services/alerts/test/fixtures.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'fraudstream-pglite-'));
  const file = join(dir, 'initialised.tar');
  const pglite = await PGlite.create();
  const dump = await pglite.dumpDataDir('none');
  await pglite.close();
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteDataDir', file);
  return () => rm(dir, { recursive: true, force: true });
}
