import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Execution } from '../../domain/execution';
import { isTerminal, TASK_STATUSES, type TaskStatus } from '../contract/event';
import { ATTR, EXECUTION_PK_PREFIX, executionKey, INDEX } from '../names/keys';
import { batchGetAll } from '../store/batch-get';
import { fromExecutionItem } from '../store/execution-item';

/**
 * The job view (`taskpulse job`, `GET /v1/jobs/{jobId}`): every execution of a job, read through the
 * sparse byJob index (KEYS_ONLY, `jobId` / `pk`; only executions with a job are in it), then the items
 * with BatchGets, each read back by the item format's own reader (`fromExecutionItem`), so the view
 * does not depend on which fields the format stores. Reads are O(tasks of the job), capped at
 * `MAX_JOB_TASKS` (the view then says it is partial); other jobs and job-less executions are never
 * read.
 */

/** Most executions one view reads (a bigger job shows its first ones by taskId and `complete: false`). */
export const MAX_JOB_TASKS = 5_000;

/** One execution of a job (stable JSON shape: absent values are `null`). */
export interface JobTask {
  readonly taskId: string;
  readonly taskType: string;
  readonly status: TaskStatus;
  readonly attempt: number;
  readonly parentTaskId: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly runMs: number | null;
  readonly errorType: string | null;
  readonly errorMessage: string | null;
  /** Task ids of the executions whose `parentTaskId` is this one, sorted. */
  readonly children: readonly string[];
}

/** What the job view shows. */
export interface JobView {
  readonly jobId: string;
  /** False when the job has more than `MAX_JOB_TASKS` executions and only those were read. */
  readonly complete: boolean;
  /** Executions by current status (every status present, zero when none). */
  readonly counts: Readonly<Record<TaskStatus, number>>;
  readonly progress: {
    /** Executions in a final status (succeeded, failed, cancelled). */
    readonly finished: number;
    readonly total: number;
    /** finished / total, 0..1. */
    readonly ratio: number;
  };
  /** Failed executions with their errors, most recently finished first. */
  readonly failed: readonly JobTask[];
  /** Executions without a parent in the job (the tree's roots), by creation time. */
  readonly roots: readonly string[];
  /** Every execution, by creation time then taskId. */
  readonly tasks: readonly JobTask[];
}

/** The fields of an execution the view shows. */
export type JobExecution = Pick<
  Execution,
  | 'taskId'
  | 'taskType'
  | 'status'
  | 'attempt'
  | 'parentTaskId'
  | 'createdAt'
  | 'finishedAt'
  | 'runMs'
  | 'error'
>;

const byCreation = (a: JobTask, b: JobTask): number =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.taskId < b.taskId ? -1 : 1;

/** The view of a job from its executions. Pure. */
export const toJobView = (jobId: string, executions: readonly JobExecution[], complete = true): JobView => {
  const children = new Map<string, string[]>();
  for (const x of executions) {
    if (x.parentTaskId !== undefined)
      children.set(x.parentTaskId, [...(children.get(x.parentTaskId) ?? []), x.taskId]);
  }
  const tasks = executions
    .map(
      (x): JobTask => ({
        taskId: x.taskId,
        taskType: x.taskType,
        status: x.status,
        attempt: x.attempt,
        parentTaskId: x.parentTaskId ?? null,
        createdAt: x.createdAt,
        finishedAt: x.finishedAt ?? null,
        runMs: x.runMs ?? null,
        errorType: x.error?.type ?? null,
        errorMessage: x.error?.message ?? null,
        children: [...(children.get(x.taskId) ?? [])].sort(),
      }),
    )
    .sort(byCreation);
  const ids = new Set(tasks.map((t) => t.taskId));
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  for (const t of tasks) counts[t.status] = (counts[t.status] ?? 0) + 1;
  const finished = tasks.filter((t) => isTerminal(t.status)).length;
  return {
    jobId,
    complete,
    counts,
    progress: { finished, total: tasks.length, ratio: tasks.length === 0 ? 0 : finished / tasks.length },
    failed: tasks
      .filter((t) => t.status === 'failed')
      .sort((a, b) => ((a.finishedAt ?? '') < (b.finishedAt ?? '') ? 1 : -1)),
    // A parent outside the job (or not stored yet) makes its child a root, so every task is reachable.
    roots: tasks.filter((t) => t.parentTaskId === null || !ids.has(t.parentTaskId)).map((t) => t.taskId),
    tasks,
  };
};

/** Task ids of a job from the byJob index, up to `limit` (by key), and whether more exist. */
const jobTaskIds = async (
  doc: DynamoDBDocumentClient,
  historyTable: string,
  jobId: string,
  limit: number,
): Promise<{ ids: string[]; more: boolean }> => {
  const ids: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const res = await doc.send(
      new QueryCommand({
        TableName: historyTable,
        IndexName: INDEX.byJob,
        KeyConditionExpression: '#job = :job',
        ExpressionAttributeNames: { '#job': ATTR.jobId },
        ExpressionAttributeValues: { ':job': jobId },
        Limit: limit + 1 - ids.length,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of res.Items ?? []) ids.push(String(item[ATTR.pk]).slice(EXECUTION_PK_PREFIX.length));
    startKey = ids.length > limit ? undefined : res.LastEvaluatedKey;
  } while (startKey !== undefined);
  return { ids: ids.slice(0, limit), more: ids.length > limit };
};

/** The view of a job; `undefined` when no execution carries that jobId. */
export const readJob = async (
  doc: DynamoDBDocumentClient,
  historyTable: string,
  jobId: string,
  options: { readonly limit?: number } = {},
): Promise<JobView | undefined> => {
  const { ids, more } = await jobTaskIds(doc, historyTable, jobId, options.limit ?? MAX_JOB_TASKS);
  if (ids.length === 0) return undefined;
  const items = await batchGetAll(doc, historyTable, ids.map(executionKey), 'job executions');
  return toJobView(
    jobId,
    items.map((item) => fromExecutionItem(item).execution),
    !more,
  );
};
