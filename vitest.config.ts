import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end tests boot containers as root: `npm run test:e2e` runs them (vitest.e2e.config.ts).
    exclude: [...configDefaults.exclude, 'test/e2e/**'],
    // The CLI tests run the built bin: build it once, before any test, when the sources are newer than dist/.
    globalSetup: ['test/global-setup.ts'],
    // Child processes for workers (vitest's default, stated because it matters): a test that runs tools gets its
    // own process, so a crash or a leaked handle in one file cannot take the runner with it. Tests never block
    // their worker (test/support/run-command.ts runs every tool asynchronously): a worker blocked in spawnSync
    // cannot answer vitest's RPC, which failed green runs with `Timeout calling "onTaskUpdate"` on a loaded machine.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Shutting down waits for the workers to exit; on a loaded 2-core machine that can take more than the default 10 s.
    teardownTimeout: 30_000,
  },
});
