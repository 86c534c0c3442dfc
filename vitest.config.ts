import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['shared/test/**/*.test.ts', 'services/*/test/**/*.test.ts', 'model/test/**/*.test.ts', 'test/**/*.test.ts'],
    // One real Kafka broker for the whole run (see test/setup/kafka.ts); each test makes its own topics.
    globalSetup: ['test/setup/kafka.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
