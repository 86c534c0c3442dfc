import { FraudstreamError, type NamedList, type Rule, type RuleDefinition } from '@fraudstream/shared';

/** A control event to publish: a rule or a list, or a tombstone (null) deleting its key. */
export type ControlEvent = { kind: 'rule'; id: string; value: Rule | null } | { kind: 'list'; id: string; value: NamedList | null };

/**
 * Where the rules and lists are and how a change gets there: the compacted topics, read back by the
 * same feed the detectors run. `publish` resolves once the event is on the topic and the feed has
 * applied it, so a reader of `current()` right after sees the change (read-your-writes).
 */
export interface ControlChannel {
  current(): { rules: ReadonlyMap<string, Rule>; lists: ReadonlyMap<string, NamedList> };
  publish(event: ControlEvent): Promise<void>;
  /** Why the channel cannot serve (not caught up, the broker unreachable); empty when it can. */
  problems(): string[];
}

/** A PUT whose If-Match names a version that is not the current one. */
export class VersionConflict extends Error {
  constructor(
    readonly current: number | undefined,
    readonly expected: number,
  ) {
    super(`expected version ${expected}, the current one is ${current ?? 'none (no such item)'}`);
  }
}

export interface RuleRegistry {
  rules(): Rule[];
  rule(id: string): Rule | undefined;
  putRule(id: string, definition: RuleDefinition, by: string, expectedVersion?: number): Promise<{ rule: Rule; created: boolean }>;
  deleteRule(id: string): Promise<boolean>;
  lists(): NamedList[];
  list(name: string): NamedList | undefined;
  putList(name: string, items: string[], by: string, expectedVersion?: number): Promise<{ list: NamedList; created: boolean }>;
  deleteList(name: string): Promise<boolean>;
  problems(): string[];
}

const byKey = <T>(map: ReadonlyMap<string, T>): T[] => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, value]) => value);

/**
 * Rule and list management over a control channel. Changes are made one at a time in this process
 * (the version of a change is the current one + 1); If-Match guards against a change made meanwhile
 * by someone else. Unchanged content is not republished: a PUT of the same rule keeps its version.
 */
export function createRuleRegistry({ channel, now = () => new Date() }: { channel: ControlChannel; now?: () => Date }): RuleRegistry {
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(change: () => Promise<T>): Promise<T> => {
    const next = queue.then(change, change);
    queue = next.catch(() => {});
    return next;
  };
  const ensureReady = (): void => {
    const problems = channel.problems();
    if (problems.length > 0) throw new FraudstreamError('KAFKA_UNAVAILABLE', `rules cannot be changed now: ${problems.join('; ')}`);
  };
  const checkVersion = (current: number | undefined, expected: number | undefined): void => {
    if (expected !== undefined && current !== expected) throw new VersionConflict(current, expected);
  };

  /** A tombstone for the key, if there is something to delete. */
  const remove = (kind: ControlEvent['kind'], id: string): Promise<boolean> =>
    serially(async () => {
      ensureReady();
      const { rules, lists } = channel.current();
      if (!(kind === 'rule' ? rules : lists).has(id)) return false;
      await channel.publish({ kind, id, value: null });
      return true;
    });

  return {
    rules: () => byKey(channel.current().rules),
    rule: (id) => channel.current().rules.get(id),
    putRule: (id, definition, by, expectedVersion) =>
      serially(async () => {
        ensureReady();
        const current = channel.current().rules.get(id);
        checkVersion(current?.version, expectedVersion);
        const same =
          current &&
          current.name === definition.name &&
          current.expression === definition.expression &&
          current.action === definition.action &&
          current.mode === definition.mode &&
          current.description === definition.description;
        if (current && same) return { rule: current, created: false };
        const rule: Rule = {
          schemaVersion: 1,
          id,
          version: (current?.version ?? 0) + 1,
          name: definition.name,
          ...(definition.description !== undefined ? { description: definition.description } : {}),
          expression: definition.expression,
          action: definition.action,
          mode: definition.mode,
          updatedAt: now().toISOString(),
          updatedBy: by,
        };
        await channel.publish({ kind: 'rule', id, value: rule });
        return { rule, created: current === undefined };
      }),
    deleteRule: (id) => remove('rule', id),
    lists: () => byKey(channel.current().lists),
    list: (name) => channel.current().lists.get(name),
    putList: (name, items, by, expectedVersion) =>
      serially(async () => {
        ensureReady();
        const current = channel.current().lists.get(name);
        checkVersion(current?.version, expectedVersion);
        if (current && current.items.length === items.length && current.items.every((item, index) => item === items[index])) {
          return { list: current, created: false };
        }
        const list: NamedList = { schemaVersion: 1, name, version: (current?.version ?? 0) + 1, items, updatedAt: now().toISOString(), updatedBy: by };
        await channel.publish({ kind: 'list', id: name, value: list });
        return { list, created: current === undefined };
      }),
    deleteList: (name) => remove('list', name),
    problems: () => channel.problems(),
  };
}
