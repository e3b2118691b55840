import { defineConfig } from 'vitest/config';

/**
 * `npm run test:e2e`: the end-to-end tests (test/e2e/*.e2e.test.ts) on throwaway Debian hosts booted with
 * systemd-nspawn. Root only; not part of `npm test` (vitest.config.ts leaves test/e2e out).
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    // The fleet is built with the real CLI (dist/): build it when the sources are newer.
    globalSetup: ['test/global-setup.ts', 'test/e2e/global-setup.ts'],
    testTimeout: 10 * 60_000,
    hookTimeout: 10 * 60_000,
    teardownTimeout: 120_000,
    pool: 'forks',
    reporters: ['verbose'],
  },
});
