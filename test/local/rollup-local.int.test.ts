import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeLocalStackFile } from '../../cli/local-stack-file';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { FUNCTION_HANDLERS } from '../../local/function-registry';
import { MetricsReporter } from '../../local/metrics-reporter';
import { formatRollupTable, rollupLocalStack } from '../../local/rollup-local';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { motoClientConfig, uniqueName } from '../support/aws';
import { makeLifecycle } from '../support/events';

/**
 * `npm run rollup:local` on the test moto_server: a local stack with known executions on a past day;
 * the command finds the stack through its state file, runs the rollup handler in-process and prints
 * the rollups. The same run shows that local mode sees the ingest Lambda's metric records.
 */

const repoRoot = path.resolve(import.meta.dirname, '../..');
const sqs = new SQSClient(motoClientConfig());
const dir = mkdtempSync(path.join(tmpdir(), 'taskpulse-rollup-local-'));
const stateFile = path.join(dir, 'local-stack.json');
let runtime: LocalRuntime;
let metrics: MetricsReporter;

const DAY = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
const AT = Date.parse(`${DAY}T10:00:00.000Z`);
const suffix = randomUUID().slice(0, 6);
const INVOICES = `invoices_${suffix}`;
const IMAGES = `images_${suffix}`;

/** The known day: invoices 3 succeeded (1, 2, 3 s) and 1 failed; images 2 succeeded and 1 cancelled. */
const knownEvents = (): TaskEvent[] => [
  ...[1_000, 2_000, 3_000].flatMap((runMs, i) =>
    makeLifecycle({ taskType: INVOICES, taskId: `inv-${i}`, startMs: AT + i * 60_000, runMs }),
  ),
  ...makeLifecycle({ taskType: INVOICES, taskId: 'inv-bad', startMs: AT, outcome: 'failed' }),
  ...[0, 1].flatMap((i) => makeLifecycle({ taskType: IMAGES, taskId: `img-${i}`, startMs: AT + i * 1_000 })),
  ...makeLifecycle({ taskType: IMAGES, taskId: 'img-cancelled', startMs: AT, outcome: 'cancelled' }),
];

beforeAll(async () => {
  runtime = await startLocalRuntime({
    endpoint: inject('motoEndpoint'),
    region: 'us-east-1',
    stackName: uniqueName('LocalRollup'),
    handlers: {
      IngestFunction: FUNCTION_HANDLERS.IngestFunction!,
      AggregateFunction: FUNCTION_HANDLERS.AggregateFunction!,
    },
    environmentOverrides: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  await writeLocalStackFile(runtime.stack, { path: stateFile });
  metrics = new MetricsReporter();
  const events = knownEvents();
  for (let i = 0; i < events.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: runtime.stack.outputs[OUTPUT.eventsQueueUrl]!,
        Entries: events.slice(i, i + 10).map((e, j) => ({ Id: String(j), MessageBody: JSON.stringify(e) })),
      }),
    );
  }
  await runtime.waitIdle(30_000);
});

afterAll(async () => {
  metrics?.close();
  await runtime?.stop();
  sqs.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe('rollupLocalStack', () => {
  it('computes and stores the rollups of a day with known data', async () => {
    // Act
    const { outcome, rollups } = await rollupLocalStack({ stack: runtime.stack, from: DAY, to: DAY });

    // Assess
    expect(outcome.days).toEqual([{ day: DAY, scopes: 2, written: 2, superseded: 0, empty: 0 }]);
    expect(rollups.map((r) => r.scope)).toEqual([IMAGES, INVOICES]);
    const [images, invoices] = rollups;
    expect(invoices).toMatchObject({
      day: DAY,
      total: 4,
      byStatus: { succeeded: 3, failed: 1, cancelled: 0 },
      failureRate: 0.25,
      topErrors: [{ type: 'TimeoutError', count: 1 }],
    });
    expect(invoices!.run!.maxMs).toBeGreaterThanOrEqual(3_000 * 0.98);
    expect(images).toMatchObject({ total: 3, byStatus: { succeeded: 2, failed: 0, cancelled: 1 } });
    expect(formatRollupTable(rollups).split('\n')[2]).toMatch(
      new RegExp(
        `^${DAY} {2}${INVOICES} +4 +3 +1 +0 +25\\.0% +0 +\\d+ms +\\d+ms +\\d+ms {2}TimeoutError \\(1\\)$`,
      ),
    );
  });
});

describe('npm run rollup:local', () => {
  it('finds the running stack through its state file and prints the rollups of the day', () => {
    // Act
    const run = spawnSync(
      path.join(repoRoot, 'node_modules/.bin/tsx'),
      ['scripts/rollup-local.ts', '--date', DAY],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, TASKPULSE_LOCAL_STACK_FILE: stateFile },
        timeout: 30_000,
      },
    );

    // Assess
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      `Rollups of ${DAY} (UTC) on ${runtime.stack.stackName} at ${runtime.stack.endpoint}`,
    );
    expect(run.stdout).toMatch(/DAY +SCOPE +TOTAL +OK +FAILED +CANCELLED +FAIL% +RETRIED/);
    expect(run.stdout).toMatch(new RegExp(`${IMAGES} +3 +2 +0 +1 +0\\.0%`));
    expect(run.stdout).toMatch(new RegExp(`${INVOICES} +4 +3 +1 +0 +25\\.0%`));
    expect(lines.at(-1)).toMatch(/^computed 1 day: 2 scopes, 2 rollups written/);
  });

  it('says how to start local mode when no stack is running', () => {
    const run = spawnSync(path.join(repoRoot, 'node_modules/.bin/tsx'), ['scripts/rollup-local.ts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, TASKPULSE_LOCAL_STACK_FILE: path.join(dir, 'missing.json') },
      timeout: 30_000,
    });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('no local stack is running');
    expect(run.stderr).toContain('start it with npm start');
  });
});

describe('local metrics lines', () => {
  it('show what the ingest Lambda run by local mode would send to CloudWatch', () => {
    const lines = metrics.take();

    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^${INVOICES}: 4 enqueued, 4 started, 3 succeeded, 1 failed \\(25\\.0% failed\\), run p95 3000ms`,
        ),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${IMAGES}: 3 enqueued, 3 started, 2 succeeded, 1 cancelled`)),
    );
    expect(lines.at(-1)).toMatch(/^pipeline: 21 accepted, 0 quarantined/);
  });
});
