import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['test/reliability/**', 'node_modules/**', 'dist/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real Netdata/Alertmanager instances and SQLite files: keep parallelism modest on a 2-core machine.
    maxWorkers: 2,
  },
});
