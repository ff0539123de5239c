import { createHash } from 'node:crypto';
import type { Rejection, TaskEvent, TaskStatus } from '../shared/contract/event';
import { isTerminal } from '../shared/contract/event';
import { toUtcIso } from '../shared/time';

/**
 * An execution is everything known about one task run (`taskId`), derived from the set of its events.
 *
 * `mergeEvents` is the heart of the exactly-once, order-independent ingest: the result depends only on
 * the set of events ever merged (union by `eventId`), never on the order or the number of deliveries.
 * Two exceptions, both producer bugs that are quarantined with a reason rather than merged: content
 * that conflicts with what is stored (a reused eventId, another task type for a taskId), where the
 * first stored wins; and a task past `MAX_EVENTS_PER_EXECUTION`, where which events are kept depends
 * on what had arrived.
 */

/** What an execution keeps of each event: enough to show the timeline and re-derive the state. */
export interface EventRecord {
  readonly eventId: string;
  /**
   * `contentHashOf` the event, to tell a redelivery from a reused eventId. Absent on events stored
   * before hashes were kept; those match any content.
   */
  readonly hash?: string;
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
  /** Events dropped to admit terminal events past `MAX_EVENTS_PER_EXECUTION` (see `mergeEvents`). */
  readonly evictedEvents?: number;
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

/**
 * The first `maxUnits` UTF-16 units of a text, one fewer when the cut would split a surrogate pair:
 * half a pair is not Unicode, and DynamoDB refuses it. Pure.
 */
export const cutText = (text: string, maxUnits: number): string => {
  if (text.length <= maxUnits) return text;
  const code = text.charCodeAt(maxUnits - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? maxUnits - 1 : maxUnits);
};

/** JSON with object keys sorted at every level, so equal content gives equal text. */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

/**
 * A compact fingerprint of an event's whole content (params and error stack included), independent of
 * key order and of the UTC offset `occurredAt` was written in: 11 base64url characters (66 bits of
 * SHA-256), enough to tell a changed event from a redelivery at ~15 bytes per stored event. Pure.
 */
const contentHashOf = (event: TaskEvent): string =>
  createHash('sha256')
    .update(canonicalJson({ ...event, occurredAt: toUtcIso(event.occurredAt) }))
    .digest('base64url')
    .slice(0, 11);

/** Convert a validated contract event into what an execution keeps of it. */
export const toEventRecord = (event: TaskEvent): EventRecord => ({
  eventId: event.eventId,
  hash: contentHashOf(event),
  status: event.status,
  occurredAt: toUtcIso(event.occurredAt),
  attempt: event.attempt,
  source: event.source,
  ...(event.durationMs !== undefined && { durationMs: event.durationMs }),
  ...(event.error !== undefined && { errorType: event.error.type }),
  ...(event.error?.message !== undefined && { errorMessage: cutText(event.error.message, 256) }),
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
  evictedEvents = 0,
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
    ...(evictedEvents > 0 && { evictedEvents }),
    kept,
  };
};

/** An event the merge did not take, with the quarantine reason. */
interface RejectedEvent {
  readonly event: TaskEvent;
  readonly rejection: Rejection;
}

/** Outcome of merging events into an execution. `rejected` holds the incoming objects themselves. */
type MergeResult =
  | {
      readonly changed: false;
      readonly execution: Execution | undefined;
      readonly rejected: readonly RejectedEvent[];
    }
  | { readonly changed: true; readonly execution: Execution; readonly rejected: readonly RejectedEvent[] };

const byOrderKey = (a: EventRecord, b: EventRecord): number => {
  const ka = orderKeyOf(a);
  const kb = orderKeyOf(b);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return (a.hash ?? '') < (b.hash ?? '') ? -1 : (a.hash ?? '') > (b.hash ?? '') ? 1 : 0;
};

const earliest = (events: readonly EventRecord[], pick: (e: EventRecord) => boolean) =>
  events.filter(pick).sort(byOrderKey)[0];

/**
 * The event to drop so that a terminal event can be admitted to a full execution, or `undefined`
 * when the incoming event itself is the least useful one. Never chosen: the earliest `enqueued` and
 * the earliest `started` (they define wait time), the earliest start of the highest attempt (run
 * time), and the events kept params and error come from. Among the rest, non-terminal events go
 * first, oldest first; then terminal events of the lowest attempt, oldest first. Pure.
 */
const evictionVictim = (
  events: readonly EventRecord[],
  incoming: EventRecord,
  keptFrom: ReadonlySet<string>,
): EventRecord | undefined => {
  const all = [...events, incoming];
  const top = Math.max(...all.map((e) => e.attempt));
  const keep = new Set(
    [
      earliest(all, (e) => e.status === 'enqueued'),
      earliest(all, (e) => e.status === 'started'),
      earliest(all, (e) => e.status === 'started' && e.attempt === top),
    ].filter((e) => e !== undefined),
  );
  const candidates = events.filter((e) => !keep.has(e) && !keptFrom.has(orderKeyOf(e)));
  const open = candidates.filter((e) => !isTerminal(e.status)).sort(byOrderKey);
  if (open.length > 0) return open[0];
  const [victim] = [...candidates, incoming].sort((a, b) => a.attempt - b.attempt || byOrderKey(a, b));
  return victim === incoming ? undefined : victim;
};

/**
 * Merge new events into an execution (or start one). Pure. Incoming events are taken in canonical
 * order, so a batch gives the same result whatever its order:
 * - an event whose eventId is already present with the same content (`contentHashOf`) is a harmless
 *   redelivery and is ignored;
 * - with different content it is rejected (`event-conflict`): the first stored content wins;
 * - an event of another task type than the execution's (or, for a new execution, than its earliest
 *   event's) is rejected (`task-type-conflict`);
 * - past `MAX_EVENTS_PER_EXECUTION`, a non-terminal event is rejected (`too-many-events`), while a
 *   terminal event is always admitted, so a run can always close: another event is evicted
 *   (`evictionVictim` says which) and counted in `evictedEvents`. Only when the incoming event is
 *   itself the least useful one (every candidate is a terminal event of a higher attempt, or of the
 *   same attempt and later) is it rejected (`too-many-events`) instead, as it could not change the
 *   final state. An evicted event that is delivered again is treated as new.
 * Every rejected copy is reported, so each message carrying one can be quarantined.
 */
export const mergeEvents = (current: Execution | undefined, incoming: readonly TaskEvent[]): MergeResult => {
  const byId = new Map(current?.events.map((e) => [e.eventId, e]));
  const records: EventRecord[] = [...(current?.events ?? [])];
  const rejected: RejectedEvent[] = [];
  let kept: Execution['kept'] | undefined = current?.kept;
  let evicted = current?.evictedEvents ?? 0;
  let changed = false;
  const reject = (event: TaskEvent, code: Rejection['code'], reason: string) =>
    rejected.push({ event, rejection: { code, reason } });
  const sorted = incoming
    .map((event) => {
      const record = toEventRecord(event);
      return { event, record, key: orderKeyOf(record), hash: record.hash! };
    })
    .sort((a, b) =>
      a.key !== b.key ? (a.key < b.key ? -1 : 1) : a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0,
    );
  for (const { event, record } of sorted) {
    const present = byId.get(event.eventId);
    if (present !== undefined) {
      if (present.hash !== undefined && present.hash !== record.hash)
        reject(
          event,
          'event-conflict',
          `eventId ${event.eventId} of task ${event.taskId} is already stored with different content; send a new eventId for a new event`,
        );
      continue;
    }
    const taskType = kept?.taskType.value ?? event.taskType;
    if (event.taskType !== taskType) {
      reject(
        event,
        'task-type-conflict',
        `task ${event.taskId} is a ${taskType} task; this event says ${event.taskType} (reused taskId?)`,
      );
      continue;
    }
    if (records.length >= MAX_EVENTS_PER_EXECUTION) {
      const keptFrom = new Set([kept?.params?.from, kept?.error?.from].filter((k) => k !== undefined));
      const victim = isTerminal(event.status) ? evictionVictim(records, record, keptFrom) : undefined;
      if (victim === undefined) {
        reject(
          event,
          'too-many-events',
          `task ${event.taskId} already has the maximum number of events (${MAX_EVENTS_PER_EXECUTION}); this one was not merged`,
        );
        continue;
      }
      records.splice(records.indexOf(victim), 1);
      byId.delete(victim.eventId);
      evicted++;
    }
    records.push(record);
    byId.set(event.eventId, record);
    changed = true;
    const from = orderKeyOf(record);
    kept = {
      taskType: later(kept?.taskType, { value: event.taskType, from })!,
      ...optional('params', later(kept?.params, event.params && { value: event.params, from })),
      ...optional('error', later(kept?.error, event.error && { value: { ...event.error }, from })),
    };
  }
  if (!changed) return { changed: false, execution: current, rejected };
  const taskId = current?.taskId ?? sorted[0]!.event.taskId;
  return { changed: true, execution: deriveExecution(taskId, records, kept!, evicted), rejected };
};

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  value === undefined ? {} : ({ [key]: value } as Record<K, V>);

/** The error type a failed execution is counted under. */
export const errorTypeOf = (execution: Execution): string =>
  execution.error?.type ?? lastDefined(execution.events, (e) => e.errorType) ?? UNKNOWN_ERROR_TYPE;
