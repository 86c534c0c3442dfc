/**
 * The image installs with `npm ci --omit=dev`, so everything a service, the model CLIs or shared code
 * imports at run time must be a dependency of its own workspace (tsx, which runs them, of the root).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinModules } from 'node:module';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const workspaces = ['shared', 'services/producer', 'services/detector', 'services/alerts', 'model'];

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Manifest;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|js)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Bare package names a file imports (static, dynamic or re-export), type-only imports excluded. */
export function importedPackages(source: string): string[] {
  const names = new Set<string>();
  const specifiers = /(?:^|\n)\s*(?:import|export)\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(specifiers)) {
    const specifier = match[1] ?? match[2] ?? match[3] ?? '';
    if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/')) continue;
    const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
    if (builtinModules.includes(name)) continue;
    names.add(name);
  }
  return [...names];
}

describe('run-time dependencies', () => {
  it('finds the packages a file imports, not the types it imports', () => {
    const source = [
      "import { z } from 'zod';",
      "import type { Kafka } from 'kafkajs';",
      "export { x } from '@scope/pkg/sub';",
      "const m = await import('uplot');",
      "import './local.js';",
      "import { readFileSync } from 'node:fs';",
      "import fs from 'fs';",
    ].join('\n');
    expect(importedPackages(source).sort()).toEqual(['@scope/pkg', 'uplot', 'zod']);
  });

  for (const workspace of workspaces) {
    it(`${workspace}/src imports only its own dependencies`, () => {
      const own = manifest(workspace);
      const allowed = new Set([...Object.keys(own.dependencies ?? {}), ...Object.keys(own.optionalDependencies ?? {})]);
      const missing = sourceFiles(join(workspace, 'src')).flatMap((file) =>
        importedPackages(readFileSync(file, 'utf8'))
          .filter((name) => !name.startsWith('@fraudstream/') && !allowed.has(name))
          .map((name) => `${file.slice(root.length + 1)} imports ${name}`),
      );
      expect(missing).toEqual([]);
    });
  }

  it('has tsx, which runs every service, as a dependency of the root', () => {
    expect(Object.keys(manifest('.').dependencies ?? {})).toContain('tsx');
  });

  it('builds the image on a current LTS without devDependencies', () => {
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const major = Number(/ARG NODE_VERSION=(\d+)/.exec(dockerfile)?.[1]);
    expect(major % 2, 'an even major: only those become LTS').toBe(0);
    expect(major).toBeGreaterThanOrEqual(24);
  });
});
