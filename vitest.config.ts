import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // moto_server is one Python process; a few files at a time keep it responsive on 2 cores.
    maxWorkers: 2,
    reporters: ['default', ['json', { outputFile: '.taskpulse/test-results.json' }]],
  },
});
