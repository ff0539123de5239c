import type { TaskEvent, TaskStatus } from '../shared/contract/event';
import { isTerminal } from '../shared/contract/event';
import { toUtcIso } from '../shared/time';

/**
 * An execution is everything known about one task run (`taskId`), derived from the set of its events.
 *
 * `mergeEvents` is the heart of the exactly-once, order-independent ingest: the result depends only on
 * the set of events ever merged (union by `eventId`), never on the order or the number of deliveries.
 */

/** What an execution keeps of each event: enough to show the timeline and re-derive the state. */
export interface EventRecord {
  readonly eventId: string;
  readonly status: TaskStatus;
  /** UTC ISO with milliseconds. */
  readonly occurredAt: string;
  readonly attempt: number;
  readonly source: string;
  readonly durationMs?: number;
  readonly errorType?: string;
  readonly errorMessage?: string;
  readonly dimensions?: Record<string, string>;
  readonly metrics?: Record<string, number>;
  readonly jobId?: string;
  readonly parentTaskId?: string;
}

/** A value together with the order key of the event it came from (the greatest key wins). */
export interface Sourced<T> {
  readonly value: T;
  readonly from: string;
}

export interface ExecutionError {
  readonly type: string;
  readonly message?: string;
  readonly stack?: string;
}

/** The derived view of one task run. */
export interface Execution {
  readonly taskId: string;
  readonly taskType: string;
  readonly status: TaskStatus;
  /** Highest attempt seen. */
  readonly attempt: number;
  /** Earliest event time. */
  readonly createdAt: string;
  readonly enqueuedAt?: string;
  /** First start of any attempt (wait time is measured to it). */
  readonly firstStartedAt?: string;
  /** Start of the final attempt (run time is measured from it). */
  readonly startedAt?: string;
  /** Time of the terminal event of the final attempt. */
  readonly finishedAt?: string;
  /** enqueued → first start, ms. */
  readonly waitMs?: number;
  /** Final attempt's run time: the terminal event's `durationMs`, else start → finish, ms. */
  readonly runMs?: number;
  /** Error of the latest event that carried one (with its stack). */
  readonly error?: ExecutionError;
  readonly source: string;
  readonly jobId?: string;
  readonly parentTaskId?: string;
  readonly params?: Record<string, unknown>;
  readonly dimensions: Record<string, string>;
  readonly metrics: Record<string, number>;
  /** Every distinct event, in canonical order. */
  readonly events: readonly EventRecord[];
  /** Internal: the sourced values that are kept once per execution rather than per event. */
  readonly kept: {
    readonly taskType: Sourced<string>;
    readonly params?: Sourced<Record<string, unknown>>;
    readonly error?: Sourced<ExecutionError>;
  };
}

/** Most events one execution keeps; more is a producer bug and is quarantined, bounding item size. */
export const MAX_EVENTS_PER_EXECUTION = 100;

/** Error type counted for a failure that carried no error details. */
export const UNKNOWN_ERROR_TYPE = 'Unknown';

/** Lifecycle rank of a status: how far through its life an attempt got (terminal statuses tie). */
export const STATUS_RANK: Record<TaskStatus, number> = {
  enqueued: 0,
  started: 1,
  retrying: 2,
  succeeded: 3,
  failed: 3,
  cancelled: 3,
};

/**
 * Canonical order of events: by time, then lifecycle rank, then attempt, then id. Total and
 * deterministic, so "the latest event" is well defined whatever the delivery order.
 */
export const orderKeyOf = (e: Pick<EventRecord, 'occurredAt' | 'status' | 'attempt' | 'eventId'>): string =>
  `${e.occurredAt}|${STATUS_RANK[e.status]}|${String(e.attempt).padStart(4, '0')}|${e.eventId}`;

const later = <T>(a: Sourced<T> | undefined, b: Sourced<T> | undefined): Sourced<T> | undefined => {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.from > a.from ? b : a;
};

const msBetween = (from: string | undefined, to: string | undefined): number | undefined => {
  if (from === undefined || to === undefined) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return ms >= 0 ? ms : undefined;
};

const minIso = (values: readonly string[]): string | undefined =>
  values.length === 0 ? undefined : [...values].sort()[0];

/** Convert a validated contract event into what an execution keeps of it. */
export const toEventRecord = (event: TaskEvent): EventRecord => ({
  eventId: event.eventId,
  status: event.status,
  occurredAt: toUtcIso(event.occurredAt),
  attempt: event.attempt,
  source: event.source,
  ...(event.durationMs !== undefined && { durationMs: event.durationMs }),
  ...(event.error !== undefined && { errorType: event.error.type }),
  ...(event.error?.message !== undefined && { errorMessage: event.error.message.slice(0, 256) }),
  ...(event.dimensions !== undefined && { dimensions: event.dimensions }),
  ...(event.metrics !== undefined && { metrics: event.metrics }),
  ...(event.jobId !== undefined && { jobId: event.jobId }),
  ...(event.parentTaskId !== undefined && { parentTaskId: event.parentTaskId }),
});

/** Per-key latest value across events (events are in canonical order, so the last write wins). */
const latestPerKey = <V>(
  events: readonly EventRecord[],
  pick: (e: EventRecord) => Record<string, V> | undefined,
) => {
  const out: Record<string, V> = {};
  for (const e of events) Object.assign(out, pick(e) ?? {});
  return out;
};

const lastDefined = <V>(
  events: readonly EventRecord[],
  pick: (e: EventRecord) => V | undefined,
): V | undefined => {
  for (let i = events.length - 1; i >= 0; i--) {
    const v = pick(events[i]!);
    if (v !== undefined) return v;
  }
  return undefined;
};

/** Derive the execution view from its distinct events and kept values. Pure. */
export const deriveExecution = (
  taskId: string,
  eventsIn: readonly EventRecord[],
  kept: Execution['kept'],
): Execution => {
  if (eventsIn.length === 0) throw new RangeError(`execution ${taskId} has no events`);
  const events = [...eventsIn].sort((a, b) => (orderKeyOf(a) < orderKeyOf(b) ? -1 : 1));
  const attempt = Math.max(...events.map((e) => e.attempt));
  const finalAttempt = events.filter((e) => e.attempt === attempt);
  // The final attempt's status is its furthest lifecycle step; among several terminal events the latest.
  const last = finalAttempt.reduce((a, b) => (STATUS_RANK[b.status] >= STATUS_RANK[a.status] ? b : a));
  const terminal = isTerminal(last.status) ? last : undefined;
  const enqueuedAt = minIso(events.filter((e) => e.status === 'enqueued').map((e) => e.occurredAt));
  const firstStartedAt = minIso(events.filter((e) => e.status === 'started').map((e) => e.occurredAt));
  const startedAt = minIso(finalAttempt.filter((e) => e.status === 'started').map((e) => e.occurredAt));
  const finishedAt = terminal?.occurredAt;
  const waitMs = msBetween(enqueuedAt, firstStartedAt);
  const runMs = terminal?.durationMs ?? msBetween(startedAt, finishedAt);
  const jobId = lastDefined(events, (e) => e.jobId);
  const parentTaskId = lastDefined(events, (e) => e.parentTaskId);
  return {
    taskId,
    taskType: kept.taskType.value,
    status: last.status,
    attempt,
    createdAt: events[0]!.occurredAt,
    ...(enqueuedAt !== undefined && { enqueuedAt }),
    ...(firstStartedAt !== undefined && { firstStartedAt }),
    ...(startedAt !== undefined && { startedAt }),
    ...(finishedAt !== undefined && { finishedAt }),
    ...(waitMs !== undefined && { waitMs }),
    ...(runMs !== undefined && { runMs }),
    ...(kept.error !== undefined && { error: kept.error.value }),
    source: events[events.length - 1]!.source,
    ...(jobId !== undefined && { jobId }),
    ...(parentTaskId !== undefined && { parentTaskId }),
    ...(kept.params !== undefined && { params: kept.params.value }),
    dimensions: latestPerKey(events, (e) => e.dimensions),
    metrics: latestPerKey(events, (e) => e.metrics),
    events,
    kept,
  };
};

/** Outcome of merging events into an execution. */
export type MergeResult =
  | {
      readonly changed: false;
      readonly execution: Execution | undefined;
      readonly overflow: readonly TaskEvent[];
    }
  | { readonly changed: true; readonly execution: Execution; readonly overflow: readonly TaskEvent[] };

/**
 * Merge new events into an execution (or start one). Events already present (same `eventId`) are
 * ignored, which makes redelivery harmless. Events beyond `MAX_EVENTS_PER_EXECUTION` come back in
 * `overflow` for the caller to quarantine. Pure.
 */
export const mergeEvents = (current: Execution | undefined, incoming: readonly TaskEvent[]): MergeResult => {
  const seen = new Set(current?.events.map((e) => e.eventId));
  const fresh: TaskEvent[] = [];
  const overflow: TaskEvent[] = [];
  for (const event of incoming) {
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    if ((current?.events.length ?? 0) + fresh.length >= MAX_EVENTS_PER_EXECUTION) overflow.push(event);
    else fresh.push(event);
  }
  if (fresh.length === 0) return { changed: false, execution: current, overflow };
  const taskId = current?.taskId ?? fresh[0]!.taskId;
  let kept: Execution['kept'] | undefined = current?.kept;
  for (const event of fresh) {
    const from = orderKeyOf(toEventRecord(event));
    kept = {
      taskType: later(kept?.taskType, { value: event.taskType, from })!,
      ...optional('params', later(kept?.params, event.params && { value: event.params, from })),
      ...optional('error', later(kept?.error, event.error && { value: { ...event.error }, from })),
    };
  }
  const events = [...(current?.events ?? []), ...fresh.map(toEventRecord)];
  return { changed: true, execution: deriveExecution(taskId, events, kept!), overflow };
};

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, V>);

/** The error type a failed execution is counted under. */
export const errorTypeOf = (execution: Execution): string =>
  execution.error?.type ?? lastDefined(execution.events, (e) => e.errorType) ?? UNKNOWN_ERROR_TYPE;
