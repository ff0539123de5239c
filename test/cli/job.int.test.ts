import { beforeAll, describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { motoClientConfig } from '../support/aws';
import { BASE_TIME_MS, makeLifecycle } from '../support/events';
import { createTestTables, TestFeed, type TestTables } from '../support/tables';
import { taskpulse } from './support/run';

/** `taskpulse job` against tables on moto, named by flags (the data is ingested by the real ingest). */

let tables: TestTables;

const run = (...argv: string[]) => {
  const config = motoClientConfig();
  return taskpulse(
    [
      ...argv,
      '--history-table',
      tables.historyTable,
      '--endpoint',
      config.endpoint,
      '--region',
      config.region,
    ],
    {
      env: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
      now: () => BASE_TIME_MS + 3_600_000,
    },
  );
};

const inJob = (events: TaskEvent[], parentTaskId?: string): TaskEvent[] =>
  events.map((e) => ({ ...e, jobId: 'nightly-7', ...(parentTaskId !== undefined && { parentTaskId }) }));

beforeAll(async () => {
  tables = await createTestTables();
  await new TestFeed(tables).send(
    [
      ...inJob(makeLifecycle({ taskId: 'export', taskType: 'export', startMs: BASE_TIME_MS })),
      ...inJob(
        makeLifecycle({ taskId: 'export-eu', taskType: 'export_region', startMs: BASE_TIME_MS + 1_000 }),
        'export',
      ),
      ...inJob(
        makeLifecycle({
          taskId: 'export-us',
          taskType: 'export_region',
          startMs: BASE_TIME_MS + 2_000,
          outcome: 'failed',
          error: { type: 'QuotaError', message: 'bucket quota exceeded' },
        }),
        'export',
      ),
      ...inJob(
        makeLifecycle({
          taskId: 'export-apac',
          taskType: 'export_region',
          startMs: BASE_TIME_MS + 3_000,
          outcome: 'running',
        }),
        'export',
      ),
      ...makeLifecycle({ taskId: 'unrelated', startMs: BASE_TIME_MS }),
    ],
    BASE_TIME_MS + 3_600_000,
  );
});

describe('taskpulse job', () => {
  it('prints progress, counts, the failed task with its error and the tree', async () => {
    const result = await run('job', 'nightly-7');

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/progress\s+3\/4 finished \(75(\.0)?%\)/);
    expect(result.stdout).toMatch(/by status\s+started 1, succeeded 2, failed 1/);
    expect(result.stdout).toMatch(/export-us\s+export_region\s+QuotaError\s+bucket quota exceeded/);
    expect(result.stdout).toContain('Tasks:\nexport  export  succeeded');
    expect(result.stdout).toMatch(/\n {2}export-eu {2}export_region {2}succeeded/);
  });

  it('prints the view as JSON with --json', async () => {
    const result = await run('job', 'nightly-7', '--json');

    const view = result.json<{ progress: unknown; roots: string[]; tasks: { taskId: string }[] }>();
    expect(view.progress).toEqual({ finished: 3, total: 4, ratio: 0.75 });
    expect(view.roots).toEqual(['export']);
    expect(view.tasks.map((t) => t.taskId)).not.toContain('unrelated');
  });

  it('says when no execution carries the job id', async () => {
    const result = await run('job', 'nightly-8');

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no execution in');
    expect(result.stderr).toContain('carries jobId nightly-8');
  });
});
