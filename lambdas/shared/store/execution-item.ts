import {
  deriveExecution,
  type EventRecord,
  type Execution,
  type ExecutionError,
  orderKeyOf,
} from '../../domain/execution';
import type { TaskStatus } from '../contract/event';
import {
  byStatusPartition,
  byStatusSort,
  byTypePartition,
  byTypeSort,
  dayOf,
  EXECUTION_PK_PREFIX,
  executionKey,
  INDEXED_FINAL_STATUSES,
  shardOf,
} from '../names/keys';

/**
 * Storage format of an execution in the history table. Events are stored with one-letter keys
 * because DynamoDB bills attribute names inside maps too, statuses as one-letter codes, and a source
 * or dimensions that every event shares once per item; the view (status, times, ...) is derived from
 * the events on every read, never stored (decision 0023). Items written in the older, longer format
 * (full status names, `src`/`dm` on every event, the view beside the events, `kf` by eventId) read
 * the same.
 */

interface StoredEvent {
  i: string;
  /** Content hash (`contentHashOf`); absent on events stored before it was kept. */
  h?: string;
  /** Status code (`STATUS_CODE`), or the full status in items written before the codes. */
  s: string;
  /** occurredAt, epoch ms (8 bytes as a DynamoDB number instead of 24 as an ISO string). */
  t: number;
  a: number;
  /** Absent when it equals the item's shared `src`. */
  src?: string;
  d?: number;
  et?: string;
  em?: string;
  /** Absent when it equals the item's shared `dm` (or when the event had none and nothing is shared). */
  dm?: Record<string, string>;
  m?: Record<string, number>;
  j?: string;
  p?: string;
}

/** One-letter status codes of stored events (`s`): about 6 bytes less per event than the names. */
export const STATUS_CODE = {
  enqueued: 'q',
  started: 's',
  retrying: 'r',
  succeeded: 'k',
  failed: 'f',
  cancelled: 'c',
} as const satisfies Record<TaskStatus, string>;

const STATUS_OF_CODE = new Map<string, TaskStatus>(
  Object.entries(STATUS_CODE).map(([status, code]) => [code, status as TaskStatus]),
);

/** The item as written (plain object; the document client marshals it). */
type ExecutionItem = Record<string, unknown> & { pk: string; sk: string; v: number };

/** Values every event of an execution shares, stored once on the item instead of on each event. */
interface Shared {
  readonly src?: string;
  readonly dm?: Record<string, string>;
}

/** Canonical JSON of a flat map (key order must not make two equal maps differ). Pure. */
const canonicalOf = (value: Record<string, string> | undefined): string =>
  value === undefined ? '' : JSON.stringify(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)));

/** What the events share: the source and the dimensions, when every event has the same. Pure. */
const sharedOf = (events: readonly EventRecord[]): Shared => {
  const [first] = events;
  if (first === undefined) return {};
  const dims = canonicalOf(first.dimensions);
  return {
    ...(events.every((e) => e.source === first.source) && { src: first.source }),
    ...(first.dimensions !== undefined &&
      events.every((e) => canonicalOf(e.dimensions) === dims) && { dm: first.dimensions }),
  };
};

const toStoredEvent = (e: EventRecord, shared: Shared): StoredEvent => ({
  i: e.eventId,
  ...(e.hash !== undefined && { h: e.hash }),
  s: STATUS_CODE[e.status],
  t: Date.parse(e.occurredAt),
  a: e.attempt,
  ...(shared.src === undefined && { src: e.source }),
  ...(e.durationMs !== undefined && { d: e.durationMs }),
  ...(e.errorType !== undefined && { et: e.errorType }),
  ...(e.errorMessage !== undefined && { em: e.errorMessage }),
  ...(shared.dm === undefined && e.dimensions !== undefined && { dm: e.dimensions }),
  ...(e.metrics !== undefined && { m: e.metrics }),
  ...(e.jobId !== undefined && { j: e.jobId }),
  ...(e.parentTaskId !== undefined && { p: e.parentTaskId }),
});

const fromStoredEvent = (s: StoredEvent, shared: Shared): EventRecord => {
  const source = s.src ?? shared.src;
  const dimensions = s.dm ?? shared.dm;
  return {
    eventId: s.i,
    ...(s.h !== undefined && { hash: s.h }),
    status: STATUS_OF_CODE.get(s.s) ?? (s.s as TaskStatus),
    occurredAt: new Date(Number(s.t)).toISOString(),
    attempt: Number(s.a),
    source: String(source),
    ...(s.d !== undefined && { durationMs: Number(s.d) }),
    ...(s.et !== undefined && { errorType: s.et }),
    ...(s.em !== undefined && { errorMessage: s.em }),
    ...(dimensions !== undefined && { dimensions }),
    ...(s.m !== undefined && {
      metrics: Object.fromEntries(Object.entries(s.m).map(([k, v]) => [k, Number(v)])),
    }),
    ...(s.j !== undefined && { jobId: s.j }),
    ...(s.p !== undefined && { parentTaskId: s.p }),
  };
};

/** Index keys of an execution: byType always, byStatus only for indexed final statuses. */
export const indexKeysOf = (x: Execution): Record<string, string> => {
  const shard = shardOf(x.taskId);
  const keys: Record<string, string> = {
    gsi1pk: byTypePartition(x.taskType, dayOf(x.createdAt), shard),
    gsi1sk: byTypeSort(x.createdAt, x.taskId),
  };
  if (x.finishedAt !== undefined && (INDEXED_FINAL_STATUSES as readonly string[]).includes(x.status)) {
    keys.gsi2pk = byStatusPartition(x.status, x.taskType, dayOf(x.finishedAt), shard);
    keys.gsi2sk = byStatusSort(x.finishedAt, x.taskId);
  }
  return keys;
};

/**
 * The item to write for an execution at a version. `ttlDays` counts from the execution's creation.
 *
 * Only what cannot be derived is stored: the events, the values kept once per execution (task type,
 * params, error with its stack, named by `kf`), the index keys and the version. The view (status,
 * attempt, times, wait and run ms, source, dimensions, metrics) is derived from the events on every
 * read (`fromExecutionItem`), so storing it only made items cross the 1 KB write unit (decision 0023).
 * `jobId` stays a top-level attribute when present: it keys the sparse job index.
 */
export const toExecutionItem = (x: Execution, version: number, ttlDays: number): ExecutionItem => {
  const shared = sharedOf(x.events);
  return {
    ...executionKey(x.taskId),
    ...indexKeysOf(x),
    v: version,
    expiresAt: Math.floor(Date.parse(x.createdAt) / 1000) + ttlDays * 86_400,
    taskType: x.taskType,
    ...(x.error !== undefined && { error: x.error }),
    ...(x.jobId !== undefined && { jobId: x.jobId }),
    ...(x.params !== undefined && { params: x.params }),
    ...shared,
    events: x.events.map((e) => toStoredEvent(e, shared)),
    ...(x.evictedEvents !== undefined && { evictedEvents: x.evictedEvents }),
    ...((x.kept.params !== undefined || x.kept.error !== undefined) && {
      kf: {
        ...(x.kept.params !== undefined && { params: sourceIndexOf(x, x.kept.params.from) }),
        ...(x.kept.error !== undefined && { error: sourceIndexOf(x, x.kept.error.from) }),
      },
    }),
  };
};

/**
 * `kf` names the event each kept value came from by its position in the item's `events` (older items:
 * by its eventId); the order key is re-derived from that stored event on read (storing the
 * 70-character key itself pushed typical items over 1 KB). The task type needs no entry: every event
 * carries one, so it always comes from the latest event.
 */
const sourceIndexOf = (x: Execution, from: string): number => {
  const index = x.events.findIndex((e) => orderKeyOf(e) === from);
  if (index < 0) throw new RangeError(`execution ${x.taskId} keeps a value from an unknown event`);
  return index;
};

/** Read an execution back from its item (document-client shape). Re-derives the view from the events. */
export const fromExecutionItem = (
  item: Record<string, unknown>,
): { execution: Execution; version: number } => {
  const kf = (item.kf ?? {}) as { params?: string | number; error?: string | number };
  // Items written before decision 0023 also carry `taskId` and the derived view; the key says the same.
  const taskId = String(item.pk).slice(EXECUTION_PK_PREFIX.length);
  const shared: Shared = {
    ...(item.src !== undefined && { src: String(item.src) }),
    ...(item.dm !== undefined && { dm: item.dm as Record<string, string> }),
  };
  const events = (item.events as StoredEvent[]).map((e) => fromStoredEvent(e, shared));
  const orderKeys = new Map(events.map((e) => [e.eventId, orderKeyOf(e)]));
  const fromEvent = (ref: string | number): string => {
    const eventId = typeof ref === 'string' ? ref : events[Number(ref)]?.eventId;
    const key = eventId === undefined ? undefined : orderKeys.get(eventId);
    if (key === undefined)
      throw new RangeError(`execution ${taskId} keeps a value from unknown event ${ref}`);
    return key;
  };
  const latest = [...orderKeys.values()].reduce((a, b) => (b > a ? b : a), '');
  const execution = deriveExecution(
    taskId,
    events,
    {
      taskType: { value: String(item.taskType), from: latest },
      ...(kf.params !== undefined && {
        params: { value: item.params as Record<string, unknown>, from: fromEvent(kf.params) },
      }),
      ...(kf.error !== undefined && {
        error: { value: item.error as ExecutionError, from: fromEvent(kf.error) },
      }),
    },
    Number(item.evictedEvents ?? 0),
  );
  return { execution, version: Number(item.v) };
};
