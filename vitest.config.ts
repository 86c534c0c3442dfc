import { defineConfig } from 'vitest/config';

/**
 * Three projects. `unit` needs nothing running (PGlite is embedded, so it counts as no infrastructure):
 * `npm run test:unit`; PGlite is initialised once per run (test/setup/pglite.ts). `integration` is every `*.integration.test.ts` — a test that talks to Kafka,
 * Redis, PostgreSQL or a browser, or starts the project's processes — and gets the run's one real Kafka
 * broker (test/setup/kafka.ts; each test makes its own topics). `postgresql` runs the alert store's
 * unit tests again on PostgreSQL. `npm test` runs all three; `npm run test:integration` the last two.
 */
const everywhere = ['shared/test', 'services/*/test', 'model/test', 'test'];
const integration = everywhere.map((dir) => `${dir}/**/*.integration.test.ts`);

/**
 * Unit tests of the alert store that also run on PostgreSQL: on PGlite in `unit`, on PostgreSQL in the
 * `postgresql` project (FRAUDSTREAM_TEST_DATABASE picks `backends` in services/alerts/test/fixtures.ts;
 * integration files, which set none, run on both). A test holds this list to the files that use it.
 */
export const onBothDatabases = [
  'services/alerts/test/api.fuzz.test.ts',
  'services/alerts/test/store/alert-store.test.ts',
  'services/alerts/test/store/cases.test.ts',
  'services/alerts/test/store/label-outbox.test.ts',
  'services/alerts/test/store/payments.test.ts',
  'services/alerts/test/store/rule-hits.test.ts',
  'services/alerts/test/stream/alert-filter.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: everywhere.map((dir) => `${dir}/**/*.test.ts`), exclude: integration, env: { FRAUDSTREAM_TEST_DATABASE: 'pglite' }, globalSetup: ['test/setup/pglite.ts'] },
      },
      {
        extends: true,
        test: { name: 'integration', include: integration, globalSetup: ['test/setup/kafka.ts', 'test/setup/pglite.ts'] },
      },
      {
        extends: true,
        test: { name: 'postgresql', include: onBothDatabases, env: { FRAUDSTREAM_TEST_DATABASE: 'postgresql' } },
      },
    ],
  },
});
