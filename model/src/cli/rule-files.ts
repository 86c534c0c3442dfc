import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { compileExpression, ListsFile, NamedList, RulesFile, type Rule } from '@fraudstream/shared/rules';
import { usageError } from './args.js';

/** The rules and lists files of `backtest` and `score` (rules/starter-rules.json is one). */

async function readJson<T>(path: string, flag: string, schema: z.ZodType<T>): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw usageError(`Cannot read --${flag} ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw usageError(`--${flag} ${path} is not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw usageError(`--${flag} ${path}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** A rule of a file as a `fraud.rules` event (version 1), its expression checked as the API checks it. */
export function ruleOf(definition: RulesFile[number], updatedBy: string): Rule {
  const compiled = compileExpression(definition.expression);
  if (!compiled.ok) throw usageError(`rule ${definition.id}: ${compiled.error.message} at line ${compiled.error.line}, column ${compiled.error.column}`);
  return { schemaVersion: 1, version: 1, updatedAt: new Date().toISOString(), updatedBy, ...definition };
}

/** A JSON array of rules: { id, name, expression, action, mode?, description? }. */
export async function readRulesFile(path: string, updatedBy: string): Promise<Rule[]> {
  return (await readJson(path, 'rules', RulesFile)).map((definition) => ruleOf(definition, updatedBy));
}

/** A JSON object of named lists: { "blocked-cards": ["card-1", …], … }, each item checked like an id. */
export async function readListsFile(path: string, updatedBy: string): Promise<NamedList[]> {
  const lists = await readJson(path, 'lists', ListsFile);
  return Object.entries(lists).map(([name, items], index) => {
    const parsed = NamedList.safeParse({ schemaVersion: 1, name, version: 1, items, updatedAt: new Date().toISOString(), updatedBy });
    if (!parsed.success) throw usageError(`--lists ${path}: list ${index + 1} (${name}): ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
    return parsed.data;
  });
}
