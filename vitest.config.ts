import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit` needs nothing running (PGlite is embedded, so it counts as no infrastructure):
 * `npm run test:unit`. `integration` is every `*.integration.test.ts` — a test that talks to Kafka,
 * Redis, PostgreSQL or a browser, or starts the project's processes — and gets the run's one real Kafka
 * broker (test/setup/kafka.ts; each test makes its own topics). `npm test` runs both.
 */
const everywhere = ['shared/test', 'services/*/test', 'model/test', 'test'];
const integration = everywhere.map((dir) => `${dir}/**/*.integration.test.ts`);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: everywhere.map((dir) => `${dir}/**/*.test.ts`), exclude: integration },
      },
      {
        extends: true,
        test: { name: 'integration', include: integration, globalSetup: ['test/setup/kafka.ts'] },
      },
    ],
  },
});
