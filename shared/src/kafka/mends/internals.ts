/**
 * How the mends reach kafkajs' internal modules (by path inside the package, e.g. `src/cluster/index.js`)
 * and check that each is what they were written against. The install step gets the installed kafkajs;
 * its tests give an in-memory stand-in, so a missing or changed internal is proven to stop it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { FraudstreamError } from '../../errors.js';

export interface KafkajsModules {
  /** The `version` of kafkajs' package.json. */
  version(): unknown;
  /** Whether the package has a module at `path`. */
  has(path: string): boolean;
  /** Whether kafkajs has loaded the module at `path` already. */
  isLoaded(path: string): boolean;
  /** The exports of the module at `path`, loaded if need be; undefined when there is none. */
  load(path: string): unknown;
  /** Makes `exports` what kafkajs gets when it requires `path` from now on (the module must be loaded). */
  replace(path: string, exports: unknown): void;
}

/** The kafkajs this package resolves, through Node's module cache. */
export function installedKafkajs(): KafkajsModules {
  const require = createRequire(import.meta.url);
  const resolve = (path: string): string | undefined => {
    try {
      return require.resolve(`kafkajs/${path}`);
    } catch {
      return undefined;
    }
  };
  const cached = (path: string) => {
    const file = resolve(path);
    return file === undefined ? undefined : require.cache[file];
  };
  return {
    version: () => {
      const manifest = resolve('package.json');
      return manifest === undefined ? undefined : (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version;
    },
    has: (path) => resolve(path) !== undefined,
    isLoaded: (path) => cached(path) !== undefined,
    load: (path) => {
      const file = resolve(path);
      return file === undefined ? undefined : (require(file) as unknown);
    },
    replace: (path, exports) => {
      const module = cached(path);
      if (module === undefined) throw new Error(`kafkajs/${path} must be loaded before it is replaced`);
      module.exports = exports;
    },
  };
}

/** KAFKAJS_UNSUPPORTED for an internal that is not as the mends expect it. */
export function unsupported(internal: string, problem: string): FraudstreamError {
  return new FraudstreamError('KAFKAJS_UNSUPPORTED', `kafkajs' ${internal} ${problem}, unlike the release its mends (shared/src/kafka/mends/) were written for`);
}

/** The exports of kafkajs' module at `path`. */
export function internalModule(modules: KafkajsModules, path: string): unknown {
  if (!modules.has(path)) throw unsupported(path, 'is missing');
  return modules.load(path);
}

/** `owner[key]`, or undefined when `owner` has no properties. */
export function member(owner: unknown, key: string): unknown {
  return (typeof owner === 'object' || typeof owner === 'function') && owner !== null ? (owner as Record<string, unknown>)[key] : undefined;
}

/** `value`, which must be a function; `internal` names it in the error. */
export function expectFunction<T>(value: unknown, internal: string): T {
  if (typeof value === 'function') return value as T;
  if (value === undefined || value === null) throw unsupported(internal, 'is missing');
  throw unsupported(internal, `is ${typeof value === 'object' ? 'an' : 'a'} ${typeof value}, not a function`);
}

/** `value`, which must be a class whose prototype has every one of `methods`. */
export function expectClass<T>(value: unknown, methods: string[], internal: string): T {
  const prototype = member(expectFunction(value, internal), 'prototype');
  for (const method of methods) expectFunction(member(prototype, method), `${internal} method ${method}`);
  return value as T;
}

export interface ModuleSwap {
  /** The mend's mark (see `markMended`). */
  mend: string;
  /** The mend in words, for the error when kafkajs was loaded before it. */
  title: string;
  /** The module replaced: kafkajs' own exports a function. */
  path: string;
  /** The kafkajs module that requires `path` when kafkajs loads, so must not be loaded yet. */
  requiredBy: string;
  /** What kafkajs gets instead of `path`'s exports; it may check further internals. */
  replacement: () => object;
}

/** Checks kafkajs' internals for a module swap and returns the step that makes it. */
export function prepareModuleSwap(modules: KafkajsModules, { mend, title, path, requiredBy, replacement }: ModuleSwap): () => void {
  const current = internalModule(modules, path);
  if (isMended(current, mend)) return alreadyMended;
  expectFunction(current, path);
  const mended = replacement();
  if (!modules.has(requiredBy)) throw unsupported(requiredBy, 'is missing');
  if (modules.isLoaded(requiredBy)) {
    throw new FraudstreamError('KAFKAJS_UNSUPPORTED', `kafkajs was loaded before its ${title} mend: import it through @fraudstream/shared only`);
  }
  // `requiredBy` takes `path` from the module cache when kafkajs loads, after this.
  return () => modules.replace(path, markMended(mended, mend));
}

const mark = (mend: string) => Symbol.for(`fraudstream.kafkajs.${mend}`);

/** Whether `target` carries `mend` already (installed by this module or by another copy of it). */
export function isMended(target: unknown, mend: string): boolean {
  return (typeof target === 'object' || typeof target === 'function') && target !== null && (target as Record<symbol, unknown>)[mark(mend)] === true;
}

export function markMended<T extends object>(target: T, mend: string): T {
  Object.defineProperty(target, mark(mend), { value: true });
  return target;
}

/** What a mend's check returns when it finds the mend in place. */
export const alreadyMended = (): void => {};
