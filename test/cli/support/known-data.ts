import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeLocalStackFile } from '../../../cli/local-stack-file';
import type { AlertState } from '../../../lambdas/domain/rules/alert-state';
import { runRollup } from '../../../lambdas/rollup/run-rollup';
import { documentClient } from '../../../lambdas/shared/aws/clients';
import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import { DynamoAggregateReader } from '../../../lambdas/shared/store/aggregate-reader';
import { DynamoAlertStateStore } from '../../../lambdas/shared/store/alert-state-store';
import { DynamoRollupStore } from '../../../lambdas/shared/store/rollup-store';
import { type LifecycleOptions, makeLifecycle } from '../../support/events';
import { createTestPipeline, messageOf, type TestPipeline } from '../../support/pipeline';

/**
 * A local stack on moto_server with known data, as local mode would leave it: executions ingested and
 * aggregated by the real handlers, rollups computed by `runRollup`, two alert states, and the local
 * stack file written where the CLI looks for it (`cwd`).
 */

/** The CLI's clock in these tests. */
export const NOW_MS = Date.parse('2026-03-02T12:00:00.000Z');
export const D1 = '2026-03-01';
export const D2 = '2026-03-02';
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);

export const TIMEOUT = { type: 'TimeoutError', message: 'upstream did not answer within 30 s' };
export const INVALID = {
  type: 'ValidationError',
  message: 'amount must be positive',
  stack: 'ValidationError: amount must be positive\n    at charge (billing.ts:12:9)',
};

/** One task of the known data. */
const task = (taskId: string, options: Omit<LifecycleOptions, 'taskId'>): TaskEvent[] =>
  // Event ids from the task id, so `show --json` output is known exactly.
  makeLifecycle({ taskId, ...options }).map((e, i) => ({ ...e, eventId: `${taskId}.${i}` }));

/**
 * - send_invoice on D2: inv-01..08 succeeded (10:00 + 5 min each, run 2 s, marketplace DE/FR),
 *   inv-09 failed (11:30, TimeoutError), inv-10 failed on attempt 2 (11:35, TimeoutError),
 *   inv-11 failed (11:45, ValidationError), inv-12 running (11:50);
 * - resize_image: img-01..03 succeeded on D1 (09:00 + 10 min each, run 500 ms), img-04 cancelled on
 *   D1 (09:40), img-05 succeeded on D2 (08:00, run 800 ms);
 * - sync_orders: ord-01 failed on D2 at 08:00 (ConnectionError), outside `failures --since 1h`.
 */
const knownEvents = (): TaskEvent[] => [
  ...Array.from({ length: 8 }, (_, i) =>
    task(`inv-0${i + 1}`, {
      taskType: 'send_invoice',
      startMs: at(`${D2}T10:00:00Z`) + i * 5 * MIN,
      dimensions: { marketplace: i % 2 === 0 ? 'DE' : 'FR' },
    }),
  ).flat(),
  ...task('inv-09', {
    taskType: 'send_invoice',
    startMs: at(`${D2}T11:30:00Z`),
    outcome: 'failed',
    error: TIMEOUT,
  }),
  ...task('inv-10', {
    taskType: 'send_invoice',
    startMs: at(`${D2}T11:35:00Z`),
    attempts: 2,
    outcome: 'failed',
    error: TIMEOUT,
  }),
  ...task('inv-11', {
    taskType: 'send_invoice',
    startMs: at(`${D2}T11:45:00Z`),
    outcome: 'failed',
    error: INVALID,
    params: { invoiceId: 11, currency: 'EUR' },
  }),
  ...task('inv-12', { taskType: 'send_invoice', startMs: at(`${D2}T11:50:00Z`), outcome: 'running' }),
  ...Array.from({ length: 3 }, (_, i) =>
    task(`img-0${i + 1}`, {
      taskType: 'resize_image',
      startMs: at(`${D1}T09:00:00Z`) + i * 10 * MIN,
      runMs: 500,
    }),
  ).flat(),
  ...task('img-04', { taskType: 'resize_image', startMs: at(`${D1}T09:40:00Z`), outcome: 'cancelled' }),
  ...task('img-05', { taskType: 'resize_image', startMs: at(`${D2}T08:00:00Z`), runMs: 800 }),
  ...task('ord-01', {
    taskType: 'sync_orders',
    startMs: at(`${D2}T08:00:00Z`),
    outcome: 'failed',
    error: { type: 'ConnectionError', message: 'database is down' },
  }),
];

/** Alert states of the known data: one firing, one ok. */
const knownAlertStates = (): AlertState[] => [
  {
    rule: 'stuck',
    scope: 'resize_image',
    status: 'OK',
    since: `${D2}T09:00:00.000Z`,
    goodStreak: 0,
    changes: [],
    flapping: false,
    lastNotifiedAt: null,
    lastNotification: null,
    evaluatedAt: `${D2}T12:00:00.000Z`,
  },
  {
    rule: 'failure-rate',
    scope: 'send_invoice',
    status: 'ALARM',
    since: `${D2}T11:50:00.000Z`,
    goodStreak: 0,
    changes: [`${D2}T11:50:00.000Z`],
    flapping: false,
    lastNotifiedAt: `${D2}T11:50:00.000Z`,
    lastNotification: 'ALARM',
    evaluatedAt: `${D2}T12:00:00.000Z`,
  },
];

export interface KnownStack {
  readonly pipeline: TestPipeline;
  /** Working directory holding `.taskpulse/local-stack.json`. */
  readonly cwd: string;
  /** Environment of CLI runs against it (local mode picked up with `--local`). */
  readonly env: Record<string, string>;
}

/** Create the stack, ingest and aggregate the known events, roll up D1 and D2, store alert states. */
export const createKnownStack = async (): Promise<KnownStack> => {
  const pipeline = await createTestPipeline({ nowMs: NOW_MS });
  const events = knownEvents();
  const failed = await pipeline.deliver(events.map((e, i) => messageOf(e, `m-${i}`, NOW_MS)));
  if (failed.length > 0) throw new Error(`ingest failed for ${failed.length} messages`);
  await pipeline.aggregate();
  const doc = documentClient(pipeline.client);
  await runRollup(
    {
      aggregates: new DynamoAggregateReader(doc, pipeline.stateTable),
      rollups: new DynamoRollupStore(doc, pipeline.stateTable),
      now: () => NOW_MS,
    },
    D1,
    D2,
  );
  const alerts = new DynamoAlertStateStore(doc, pipeline.stateTable);
  for (const state of knownAlertStates()) await alerts.put(state, null, undefined);
  const cwd = mkdtempSync(path.join(tmpdir(), 'taskpulse-cli-'));
  await writeLocalStackFile(pipeline.stack, { path: path.join(cwd, '.taskpulse', 'local-stack.json') });
  return { pipeline, cwd, env: {} };
};
