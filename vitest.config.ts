import { defineConfig } from 'vitest/config';

// Two cores: at most two test files at once, each with its own embedded database.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // Generous, because tests wait for events and never assert speed: on a 2-core machine that is
    // busy with something else, a test that spawns hub processes or drives Chromium takes 3-5x its
    // idle time (measured: the whole suite 19.4 min under load, 60 s tests timing out at the old
    // 60 s). A test that hangs still fails, after three minutes.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
