import { defineConfig } from 'vitest/config';

/** `npm run test:reliability`: crash, concurrency, fuzzing, fault and prompt-injection tests (docs/RELIABILITY.md). */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    globalSetup: ['test/reliability/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // The storms spawn daemons and a real Netdata: two files at a time is what a 2-core machine takes.
    maxWorkers: 2,
  },
});
