import { defineConfig } from 'vitest/config';

/**
 * Three projects, told apart by the file name and folder alone (CONTRIBUTING.md, "Tests"):
 *
 * - integration: `*.int.test.ts` anywhere, and everything under `test/integration/`. These talk to
 *   moto_server; the project's global setup starts one on a free loopback port.
 * - infra: everything under `test/infra/` that is not `*.int.test.ts`: CDK synth, template
 *   assertions and cdk-nag. No emulator.
 * - unit: every other `*.test.ts`. Pure code and in-memory fakes (test/support/fakes/); no emulator,
 *   no synth, so `npm run test:unit` answers in seconds.
 *
 * A test that calls moto from the unit or infra project fails with a message naming this rule
 * (test/support/aws.ts), so a misnamed file cannot pass by accident.
 */
const integration = ['test/integration/**/*.test.ts', 'test/**/*.int.test.ts'];

export default defineConfig({
  test: {
    // One pool for all projects (vitest requires the same maxWorkers in one run): 2 files at a time
    // keep moto_server (one Python process) responsive on 2 cores.
    maxWorkers: 2,
    // Reporters are global: one JSON report over all projects; .ci/run prints its counts.
    reporters: ['default', ['json', { outputFile: '.taskpulse/test-results.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/infra/**', ...integration],
          // Generous for a loaded 2-core machine; a unit test needing more is not a unit test.
          testTimeout: 20_000,
          // Pure tests share a worker's module cache instead of re-importing zod, the AWS SDK and
          // the domain for every file (most of this project's time). A test that changes global
          // state (env, timers, mocks) restores it in afterEach.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          exclude: integration,
          // Files share a worker's modules, as in unit: aws-cdk-lib is loaded and warmed up once per
          // worker instead of once per file, and the synths in test/infra/support/synth.ts
          // (`defaultStack`, `appStack`) are made once per worker. Infra tests change no global state.
          isolate: false,
          // Synths skip bundling (no esbuild); a cold worker's first synth still takes seconds.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: integration,
          // Files share a worker's modules, as in unit and infra: importing the AWS SDK, aws-cdk-lib
          // and the handlers once per worker instead of once per file saves about a sixth of the
          // suite's CPU (0082). It was off while torture R1's double count under load was unexplained;
          // the cause was moto_server's non-atomic conditional writes (0083), not shared modules.
          isolate: false,
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
