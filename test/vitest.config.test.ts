import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { onBothDatabases } from '../vitest.config.js';

describe('vitest projects', () => {
  it('run on PostgreSQL exactly the unit tests that use the store backends', async () => {
    const files = (await readdir('services', { recursive: true })).map((path) => `services/${path}`);
    const unitTests = files.filter((file) => /^services\/[^/]+\/test\/.*\.test\.ts$/.test(file) && !file.includes('.integration.'));
    const usingBackends: string[] = [];
    for (const file of unitTests) if (/\bbackends\b/.test(await readFile(file, 'utf8'))) usingBackends.push(file);
    expect(usingBackends.sort()).toEqual([...onBothDatabases].sort());
  });
});
