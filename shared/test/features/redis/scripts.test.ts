import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { withFeatureScripts } from '../../../src/features/redis/scripts.js';

/** Just enough of a client to see which commands get defined: defineCommand adds a method, as ioredis does. */
function definingClient() {
  const defined: Array<{ name: string; lua: string }> = [];
  const client = {
    defineCommand(name: string, { lua }: { lua: string }) {
      defined.push({ name, lua });
      (client as Record<string, unknown>)[name] = () => undefined;
    },
  };
  return { client: client as unknown as Redis, defined };
}

describe('withFeatureScripts', () => {
  it('defines both scripts from their files, once per client', () => {
    const { client, defined } = definingClient();
    expect(withFeatureScripts(client)).toBe(client);
    withFeatureScripts(client);
    expect(defined.map(({ name }) => name)).toEqual(['fraudstreamRecordFeatures', 'fraudstreamRecordLabels']);
    expect(defined[0]!.lua).toMatch(/return \{reads, labels\}\s*$/);
    expect(defined[1]!.lua).toMatch(/redis\.call\('INCR', version\)/);
  });
});
