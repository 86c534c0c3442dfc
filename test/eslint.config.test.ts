/** The lint rule that keeps kafkajs behind shared/src/kafka/, which mends it before it loads. */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const files = { outside: 'services/detector/src/x.ts', folder: 'shared/src/kafka/x.ts', tests: 'shared/test/kafka/x.test.ts' };
// The project's config, without its type-aware rules: the fence is syntax, and loading TypeScript's
// program for snippets that are not on disk takes seconds (`npm run lint` runs the rules with types).
const eslint = new ESLint({ cwd: join(import.meta.dirname, '..'), overrideConfig: tseslint.configs.disableTypeChecked });

/** The rules `code` breaks as the file at `filePath` (relative to the repository). */
async function brokenRules(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((message) => message.severity === 2).map((message) => message.ruleId ?? message.message);
}

const uses = {
  import: "import { Kafka } from 'kafkajs';\nexport const kafka = new Kafka({ brokers: [] });\n",
  'type import': "import type { Producer } from 'kafkajs';\nexport type P = Producer;\n",
  'deep import': "import Cluster from 'kafkajs/src/cluster/index.js';\nexport { Cluster };\n",
  're-export': "export { Kafka } from 'kafkajs';\n",
  'dynamic import': "export const kafkajs = await import('kafkajs');\n",
  require: "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\nexport const kafkajs: unknown = require('kafkajs');\n",
  'require.resolve': "import { createRequire } from 'node:module';\nexport const path = createRequire(import.meta.url).resolve('kafkajs/package.json');\n",
  'createRequire(…)(…)': "import { createRequire } from 'node:module';\nexport const batch: unknown = createRequire(import.meta.url)(`kafkajs/src/consumer/batch.js`);\n",
};

describe('kafkajs outside shared/src/kafka/', () => {
  it.each(Object.entries(uses))('is an error: %s', async (_, code) => {
    const rules = await brokenRules(code, files.outside);
    expect(rules.length).toBe(1);
    expect(rules[0]).toMatch(/^no-restricted-(imports|syntax)$/);
  });

  it.each(Object.entries(uses))('is allowed inside the folder and its tests: %s', async (_, code) => {
    expect(await brokenRules(code, files.folder)).toEqual([]);
    expect(await brokenRules(code, files.tests)).toEqual([]);
  });

  it('leaves @fraudstream/shared, and kafkajs named in a string, alone', async () => {
    const code = "import { createKafka } from '@fraudstream/shared';\nimport { z } from 'zod';\nexport const use = [createKafka, z, 'kafkajs'];\n";
    expect(await brokenRules(code, files.outside)).toEqual([]);
  });
});
