import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type EventRecord, type Execution, STATUS_RANK } from '../../domain/execution';
import { isTerminal, type TaskStatus } from '../contract/event';
import { executionKey } from '../names/keys';
import { fromExecutionItem } from '../store/execution-item';

/**
 * One execution for `show`: read by its key (strongly consistent) and re-derived from its events by
 * the same `fromExecutionItem` the ingest path uses, then laid out as a timeline and per attempt.
 */

/** Read an execution; `undefined` when there is none (never sent, or expired). */
export const getExecution = async (
  doc: DynamoDBDocumentClient,
  historyTable: string,
  taskId: string,
): Promise<Execution | undefined> => {
  const res = await doc.send(
    new GetCommand({ TableName: historyTable, Key: executionKey(taskId), ConsistentRead: true }),
  );
  return res.Item === undefined ? undefined : fromExecutionItem(res.Item).execution;
};

/** One attempt of an execution. */
export interface AttemptView {
  readonly attempt: number;
  /** Furthest lifecycle step of the attempt (`retrying` for an attempt that failed and was retried). */
  readonly status: TaskStatus;
  readonly startedAt: string | null;
  /** Time of the event that ended the attempt (terminal or `retrying`). */
  readonly endedAt: string | null;
  /** The producer's `durationMs`, else start → end. */
  readonly durationMs: number | null;
  readonly errorType: string | null;
  readonly errorMessage: string | null;
}

/** One event of the timeline. */
export interface EventView {
  readonly occurredAt: string;
  readonly status: TaskStatus;
  readonly attempt: number;
  readonly eventId: string;
  readonly source: string;
  readonly durationMs: number | null;
  readonly errorType: string | null;
  readonly errorMessage: string | null;
}

/** What `show --json` prints (stable shape: absent values are `null`). */
export interface ExecutionView {
  readonly execution: {
    readonly taskId: string;
    readonly taskType: string;
    readonly status: TaskStatus;
    readonly attempt: number;
    readonly createdAt: string;
    readonly enqueuedAt: string | null;
    readonly firstStartedAt: string | null;
    readonly startedAt: string | null;
    readonly finishedAt: string | null;
    readonly waitMs: number | null;
    readonly runMs: number | null;
    readonly source: string;
    readonly jobId: string | null;
    readonly parentTaskId: string | null;
    readonly error: {
      readonly type: string;
      readonly message: string | null;
      readonly stack: string | null;
    } | null;
    readonly params: Readonly<Record<string, unknown>> | null;
    readonly dimensions: Readonly<Record<string, string>>;
    readonly metrics: Readonly<Record<string, number>>;
  };
  readonly attempts: readonly AttemptView[];
  readonly events: readonly EventView[];
}

const RANK = STATUS_RANK;

/** The attempts of an execution, from its events (already in canonical order). Pure. */
export const attemptsOf = (events: readonly EventRecord[]): AttemptView[] => {
  const byAttempt = new Map<number, EventRecord[]>();
  for (const e of events) byAttempt.set(e.attempt, [...(byAttempt.get(e.attempt) ?? []), e]);
  return [...byAttempt.entries()]
    .sort(([a], [b]) => a - b)
    .map(([attempt, list]) => {
      const furthest = list.reduce((a, b) => (RANK[b.status] >= RANK[a.status] ? b : a));
      const start = list.find((e) => e.status === 'started');
      const end = [...list].reverse().find((e) => e.status === 'retrying' || isTerminal(e.status));
      const durationMs =
        end?.durationMs ??
        (start !== undefined && end !== undefined
          ? Math.max(0, Date.parse(end.occurredAt) - Date.parse(start.occurredAt))
          : null);
      const withError = [...list].reverse().find((e) => e.errorType !== undefined);
      return {
        attempt,
        status: furthest.status,
        startedAt: start?.occurredAt ?? null,
        endedAt: end?.occurredAt ?? null,
        durationMs,
        errorType: withError?.errorType ?? null,
        errorMessage: withError?.errorMessage ?? null,
      };
    });
};

/** The `show` view of an execution. Pure. */
export const toExecutionView = (x: Execution): ExecutionView => ({
  execution: {
    taskId: x.taskId,
    taskType: x.taskType,
    status: x.status,
    attempt: x.attempt,
    createdAt: x.createdAt,
    enqueuedAt: x.enqueuedAt ?? null,
    firstStartedAt: x.firstStartedAt ?? null,
    startedAt: x.startedAt ?? null,
    finishedAt: x.finishedAt ?? null,
    waitMs: x.waitMs ?? null,
    runMs: x.runMs ?? null,
    source: x.source,
    jobId: x.jobId ?? null,
    parentTaskId: x.parentTaskId ?? null,
    error:
      x.error === undefined
        ? null
        : { type: x.error.type, message: x.error.message ?? null, stack: x.error.stack ?? null },
    params: x.params ?? null,
    dimensions: x.dimensions,
    metrics: x.metrics,
  },
  attempts: attemptsOf(x.events),
  events: x.events.map(toEventView),
});

/** One stored event in its stable view (absent values are `null`). Pure. */
export const toEventView = (e: EventRecord): EventView => ({
  occurredAt: e.occurredAt,
  status: e.status,
  attempt: e.attempt,
  eventId: e.eventId,
  source: e.source,
  durationMs: e.durationMs ?? null,
  errorType: e.errorType ?? null,
  errorMessage: e.errorMessage ?? null,
});
