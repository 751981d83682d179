import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // One real dockerd is shared by all files; two workers match the two cores.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
