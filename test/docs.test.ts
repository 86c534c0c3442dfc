/**
 * The documentation cannot drift from the code: docs/configuration.md lists exactly the variables of
 * the env schemas with their defaults, every relative link resolves, the README stays a page a
 * newcomer reads, and no committed file carries a path of the machine it was written on.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { AlertsEnv, BaseEnv, DetectorEnv, envDefaults, KafkaEnv } from '@fraudstream/shared';
import { ProducerServiceEnv } from '@fraudstream/producer/options';

const root = join(import.meta.dirname, '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

const CommonEnv = BaseEnv.extend(KafkaEnv.shape);
const common = Object.keys(CommonEnv.shape);

/** Each section of docs/configuration.md and the schema whose variables it lists (the common ones apart). */
const sections: Array<{ heading: string; schema: z.ZodObject }> = [
  { heading: 'Every service', schema: CommonEnv },
  { heading: 'Producer', schema: ProducerServiceEnv },
  { heading: 'Detector', schema: DetectorEnv },
  { heading: 'Alerts service', schema: AlertsEnv },
];

/** The default column as the docs write it. */
function writtenDefault(spec: { required: boolean; default?: string }): string {
  if (spec.default !== undefined) return spec.default === '' ? '`""`' : `\`${spec.default}\``;
  return spec.required ? 'required' : 'unset';
}

/** `| \`NAME\` | default | description |` rows of a markdown text: name → default cell. */
function variableRows(markdown: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of markdown.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*?) \|/gm)) rows.set(match[1]!, match[2]!);
  return rows;
}

/** The text of each `## ` section, by heading. */
function sectionsOf(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of markdown.split(/^## /m).slice(1)) {
    const newline = part.indexOf('\n');
    out.set(part.slice(0, newline).trim(), part.slice(newline + 1));
  }
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function headingAnchors(markdown: string): Set<string> {
  return new Set([...withoutCodeBlocks(markdown).matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1]!.trim())));
}

function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

const documents = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

describe('docs/configuration.md', () => {
  const configuration = read('docs/configuration.md');
  const bySection = sectionsOf(configuration);

  it.each(sections)('lists every variable of "$heading" with its default, and no other', ({ heading, schema }) => {
    const section = bySection.get(heading);
    expect(section, `a "## ${heading}" section`).toBeDefined();
    const listed = variableRows(section ?? '');
    const expected = Object.entries(envDefaults(schema)).filter(([name]) => heading === 'Every service' || !common.includes(name));
    expect([...listed.keys()].sort()).toEqual(expected.map(([name]) => name).sort());
    for (const [name, spec] of expected) expect(listed.get(name), name).toBe(writtenDefault(spec));
  });

  it('has no variable table outside the schemas', () => {
    const known = new Set(sections.flatMap(({ schema }) => Object.keys(schema.shape)));
    expect([...variableRows(configuration).keys()].filter((name) => !known.has(name))).toEqual([]);
  });
});

describe('README.md and docs/', () => {
  it('keeps the README to 300 lines at most', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(300);
  });

  it.each(documents)('%s: every relative link resolves, anchors included', (document) => {
    const text = withoutCodeBlocks(read(document));
    const broken: string[] = [];
    for (const match of text.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = match[1]!;
      if (/^[a-z]+:/i.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? join(root, document) : resolve(root, dirname(document), path);
      if (!existsSync(file)) {
        broken.push(`${target} (no ${relative(root, file)})`);
        continue;
      }
      if (anchor !== undefined && file.endsWith('.md') && !headingAnchors(readFileSync(file, 'utf8')).has(anchor)) {
        broken.push(`${target} (no heading #${anchor})`);
      }
    }
    expect(broken).toEqual([]);
  });
});

describe('committed files', () => {
  // Assembled, so that this file does not match itself.
  const machinePaths = [...['work', 'home', 'Users', 'root'].map((dir) => `/${dir}/`), `C:${'\\'}`];

  it('carry no path of a development machine', () => {
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
      .split('\0')
      .filter((file) => file !== '' && !file.includes('node_modules/') && !file.endsWith('package-lock.json'))
      .filter((file) => existsSync(join(root, file)) && statSync(join(root, file)).isFile());
    const found: string[] = [];
    for (const file of files) {
      const bytes = readFileSync(join(root, file));
      if (bytes.subarray(0, 8000).includes(0)) continue;
      const text = bytes.toString('utf8');
      for (const path of machinePaths) {
        const at = text.indexOf(path);
        if (at !== -1) found.push(`${file}:${text.slice(0, at).split('\n').length}: ${path}`);
      }
    }
    expect(found).toEqual([]);
  });
});
