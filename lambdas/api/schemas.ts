import { z } from 'zod';
import { TASK_STATUSES } from '../shared/contract/event';

/**
 * Zod schemas of the read API's parameters and answers. They validate input (the router), shape
 * answers (the router parses every JSON answer through its route's schema) and generate the OpenAPI
 * document (`openapi.ts`). The answer shapes are the CLI's `--json` shapes, from the shared query
 * layer (`lambdas/shared/queries/`): absent values are `null`, never missing.
 */

// ---- parameters -------------------------------------------------------------------------------

export const taskTypeParam = z
  .string()
  .min(1)
  .max(256)
  .meta({ description: 'Only this task type.', example: 'send_invoice' });

export const statusParam = z.enum(TASK_STATUSES).meta({ description: 'Only executions in this status.' });

/** An instant: ISO 8601 with a time zone (`Z` or an offset). */
export const instantParam = z.iso.datetime({ offset: true });

/** A UTC day. */
export const dayParam = z.iso.date();

/** Items per page. */
export const limitParam = (max: number, fallback: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .meta({ description: `Items per page, 1 to ${max}.` });

export const nextParam = z
  .string()
  .min(1)
  .max(4096)
  .meta({ description: 'The `next` value of the previous page, unchanged (opaque).' });

// ---- answers ----------------------------------------------------------------------------------

const taskStatus = z.enum(TASK_STATUSES);
const nullableString = z.string().nullable();
const nullableNumber = z.number().nullable();
const dimension = z.object({ key: z.string(), value: z.string() }).nullable();

export const executionRowSchema = z
  .object({
    taskId: z.string(),
    taskType: z.string(),
    status: taskStatus,
    attempt: z.number().int(),
    createdAt: z.string(),
    startedAt: nullableString,
    finishedAt: nullableString,
    runMs: nullableNumber,
    errorType: nullableString,
    errorMessage: nullableString,
    dimensions: z.record(z.string(), z.string()),
  })
  .meta({ id: 'ExecutionRow', description: 'One execution in a list.' });

export const executionPageSchema = z
  .object({
    query: z.object({
      taskType: nullableString,
      status: taskStatus.nullable(),
      from: z.string(),
      to: z.string(),
    }),
    orderedBy: z.enum(['createdAt', 'finishedAt']).meta({
      description:
        'The time the list is ordered and ranged by: finish time for failed/cancelled, else creation.',
    }),
    items: z.array(executionRowSchema),
    next: nullableString.meta({
      description: 'Pass as `next` for the following page; `null` on the last one.',
    }),
  })
  .meta({ id: 'ExecutionPage' });

export const failurePageSchema = z
  .object({
    since: z.string(),
    until: z.string(),
    taskType: nullableString,
    items: z.array(executionRowSchema),
    next: nullableString,
  })
  .meta({ id: 'FailurePage' });

const eventView = z.object({
  occurredAt: z.string(),
  status: taskStatus,
  attempt: z.number().int(),
  eventId: z.string(),
  source: z.string(),
  durationMs: nullableNumber,
  errorType: nullableString,
  errorMessage: nullableString,
});

export const executionViewSchema = z
  .object({
    execution: z.object({
      taskId: z.string(),
      taskType: z.string(),
      status: taskStatus,
      attempt: z.number().int(),
      createdAt: z.string(),
      enqueuedAt: nullableString,
      firstStartedAt: nullableString,
      startedAt: nullableString,
      finishedAt: nullableString,
      waitMs: nullableNumber,
      runMs: nullableNumber,
      source: z.string(),
      jobId: nullableString,
      parentTaskId: nullableString,
      error: z.object({ type: z.string(), message: nullableString, stack: nullableString }).nullable(),
      params: z.record(z.string(), z.unknown()).nullable(),
      dimensions: z.record(z.string(), z.string()),
      metrics: z.record(z.string(), z.number()),
    }),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        status: taskStatus,
        startedAt: nullableString,
        endedAt: nullableString,
        durationMs: nullableNumber,
        errorType: nullableString,
        errorMessage: nullableString,
      }),
    ),
    events: z.array(eventView).meta({ description: 'The event timeline, in canonical order.' }),
  })
  .meta({ id: 'ExecutionView', description: 'One execution: attempts, event timeline, error, params.' });

const jobTask = z
  .object({
    taskId: z.string(),
    taskType: z.string(),
    status: taskStatus,
    attempt: z.number().int(),
    parentTaskId: nullableString,
    createdAt: z.string(),
    finishedAt: nullableString,
    runMs: nullableNumber,
    errorType: nullableString,
    errorMessage: nullableString,
    children: z.array(z.string()).meta({ description: 'Task ids whose parentTaskId is this task.' }),
  })
  .meta({ id: 'JobTask' });

export const jobViewSchema = z
  .object({
    jobId: z.string(),
    complete: z
      .boolean()
      .meta({ description: 'False when the job has more executions than one view reads.' }),
    counts: z.record(taskStatus, z.number().int()),
    progress: z.object({ finished: z.number().int(), total: z.number().int(), ratio: z.number() }),
    failed: z.array(jobTask),
    roots: z
      .array(z.string())
      .meta({ description: 'Tasks without a parent in the job: the roots of the tree.' }),
    tasks: z.array(jobTask),
  })
  .meta({
    id: 'JobView',
    description: 'Every task of a job, counts by status, progress and the parent/child tree.',
  });

export const alertListSchema = z
  .object({
    alerts: z.array(
      z
        .object({
          rule: z.string(),
          scope: z.string(),
          taskType: z.string(),
          dimension,
          status: z.string().meta({ description: '`ALARM` or `OK`.' }),
          since: z.string(),
          flapping: z.boolean(),
          lastNotification: nullableString,
          lastNotifiedAt: nullableString,
          evaluatedAt: z.string(),
          pendingNotification: z.boolean(),
        })
        .meta({ id: 'AlertState' }),
    ),
  })
  .meta({ id: 'AlertList' });

export const feedPageSchema = z
  .object({
    events: z.array(
      eventView
        .extend({ taskId: z.string(), taskType: z.string(), executionStatus: taskStatus })
        .meta({ id: 'FeedEvent' }),
    ),
    next: z.string().meta({ description: 'Pass as `after` to the next poll.' }),
    gap: z.boolean().meta({
      description: 'True when a position had expired (no poll for 15 minutes): events may be missing.',
    }),
  })
  .meta({ id: 'FeedPage' });

const durationStats = z
  .object({
    count: z.number(),
    sumMs: z.number(),
    avgMs: z.number(),
    minMs: z.number(),
    maxMs: z.number(),
    p50Ms: z.number(),
    p95Ms: z.number(),
    p99Ms: z.number(),
  })
  .nullable();

const dailyRollup = z
  .object({
    day: z.string(),
    scope: z.string(),
    taskType: z.string(),
    dimension,
    live: z
      .boolean()
      .meta({ description: "True for today's figures, computed from the aggregates when asked." }),
    total: z.number(),
    byStatus: z.object({ succeeded: z.number(), failed: z.number(), cancelled: z.number() }),
    successRate: nullableNumber,
    failureRate: nullableNumber,
    retried: z.number(),
    started: z.number(),
    open: z.number(),
    wait: durationStats,
    run: durationStats,
    topErrors: z.array(z.object({ type: z.string(), count: z.number(), sample: nullableString })),
    errorTypes: z.number(),
    metrics: z.record(
      z.string(),
      z.object({
        count: z.number(),
        sum: z.number(),
        avg: z.number(),
        min: z.number(),
        max: z.number(),
        p95: z.number(),
      }),
    ),
    computedAt: z.string(),
  })
  .meta({ id: 'DailyStats' });

export const statsSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    days: z.array(z.string()),
    liveDay: nullableString.meta({
      description: 'The day (today, UTC) computed live from the aggregates, if in range.',
    }),
    daysWithoutRollups: z.array(z.string()),
    percentileRelativeError: z.number(),
    scopes: z.array(
      z
        .object({
          scope: z.string(),
          taskType: z.string(),
          dimension,
          total: z.number(),
          succeeded: z.number(),
          failed: z.number(),
          cancelled: z.number(),
          failureRate: nullableNumber,
          retried: z.number(),
          runCount: z.number(),
          runAvgMs: nullableNumber,
          runP95MsWorstDay: nullableNumber,
          daily: z.array(dailyRollup),
        })
        .meta({ id: 'ScopeStats' }),
    ),
  })
  .meta({ id: 'Stats' });
