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
  executionKey,
  INDEXED_FINAL_STATUSES,
  shardOf,
} from '../names/keys';

/**
 * Storage format of an execution in the history table. Events are stored with one-letter keys
 * because DynamoDB bills attribute names inside maps too; the derived fields are stored beside them
 * for queries and for the stream-fed aggregator, and re-derived on read so the stored view can never
 * disagree with its events.
 */

interface StoredEvent {
  i: string;
  /** Content hash (`contentHashOf`); absent on events stored before it was kept. */
  h?: string;
  s: TaskStatus;
  /** occurredAt, epoch ms (8 bytes as a DynamoDB number instead of 24 as an ISO string). */
  t: number;
  a: number;
  src: string;
  d?: number;
  et?: string;
  em?: string;
  dm?: Record<string, string>;
  m?: Record<string, number>;
  j?: string;
  p?: string;
}

/** The item as written (plain object; the document client marshals it). */
type ExecutionItem = Record<string, unknown> & { pk: string; sk: string; v: number };

const toStoredEvent = (e: EventRecord): StoredEvent => ({
  i: e.eventId,
  ...(e.hash !== undefined && { h: e.hash }),
  s: e.status,
  t: Date.parse(e.occurredAt),
  a: e.attempt,
  src: e.source,
  ...(e.durationMs !== undefined && { d: e.durationMs }),
  ...(e.errorType !== undefined && { et: e.errorType }),
  ...(e.errorMessage !== undefined && { em: e.errorMessage }),
  ...(e.dimensions !== undefined && { dm: e.dimensions }),
  ...(e.metrics !== undefined && { m: e.metrics }),
  ...(e.jobId !== undefined && { j: e.jobId }),
  ...(e.parentTaskId !== undefined && { p: e.parentTaskId }),
});

const fromStoredEvent = (s: StoredEvent): EventRecord => ({
  eventId: s.i,
  ...(s.h !== undefined && { hash: s.h }),
  status: s.s,
  occurredAt: new Date(Number(s.t)).toISOString(),
  attempt: Number(s.a),
  source: s.src,
  ...(s.d !== undefined && { durationMs: Number(s.d) }),
  ...(s.et !== undefined && { errorType: s.et }),
  ...(s.em !== undefined && { errorMessage: s.em }),
  ...(s.dm !== undefined && { dimensions: s.dm }),
  ...(s.m !== undefined && {
    metrics: Object.fromEntries(Object.entries(s.m).map(([k, v]) => [k, Number(v)])),
  }),
  ...(s.j !== undefined && { jobId: s.j }),
  ...(s.p !== undefined && { parentTaskId: s.p }),
});

/** Index keys of an execution: byType always, byStatus only for indexed final statuses. */
export const indexKeysOf = (x: Execution): Record<string, string> => {
  const shard = shardOf(x.taskId);
  const keys: Record<string, string> = {
    gsi1pk: byTypePartition(x.taskType, dayOf(x.createdAt), shard),
    gsi1sk: byTypeSort(x.createdAt, x.taskId),
  };
  if (x.finishedAt !== undefined && (INDEXED_FINAL_STATUSES as readonly string[]).includes(x.status)) {
    keys.gsi2pk = byStatusPartition(x.status, dayOf(x.finishedAt), shard);
    keys.gsi2sk = byStatusSort(x.finishedAt, x.taskId);
  }
  return keys;
};

/** The item to write for an execution at a version. `ttlDays` counts from the execution's creation. */
export const toExecutionItem = (x: Execution, version: number, ttlDays: number): ExecutionItem => ({
  ...executionKey(x.taskId),
  ...indexKeysOf(x),
  v: version,
  expiresAt: Math.floor(Date.parse(x.createdAt) / 1000) + ttlDays * 86_400,
  taskId: x.taskId,
  taskType: x.taskType,
  status: x.status,
  attempt: x.attempt,
  createdAt: x.createdAt,
  ...(x.enqueuedAt !== undefined && { enqueuedAt: x.enqueuedAt }),
  ...(x.firstStartedAt !== undefined && { firstStartedAt: x.firstStartedAt }),
  ...(x.startedAt !== undefined && { startedAt: x.startedAt }),
  ...(x.finishedAt !== undefined && { finishedAt: x.finishedAt }),
  ...(x.waitMs !== undefined && { waitMs: x.waitMs }),
  ...(x.runMs !== undefined && { runMs: x.runMs }),
  ...(x.error !== undefined && { error: x.error }),
  source: x.source,
  ...(x.jobId !== undefined && { jobId: x.jobId }),
  ...(x.parentTaskId !== undefined && { parentTaskId: x.parentTaskId }),
  ...(x.params !== undefined && { params: x.params }),
  ...(Object.keys(x.dimensions).length > 0 && { dimensions: x.dimensions }),
  ...(Object.keys(x.metrics).length > 0 && { metrics: x.metrics }),
  events: x.events.map(toStoredEvent),
  ...(x.evictedEvents !== undefined && { evictedEvents: x.evictedEvents }),
  ...((x.kept.params !== undefined || x.kept.error !== undefined) && {
    kf: {
      ...(x.kept.params !== undefined && { params: sourceEventIdOf(x, x.kept.params.from) }),
      ...(x.kept.error !== undefined && { error: sourceEventIdOf(x, x.kept.error.from) }),
    },
  }),
});

/**
 * `kf` names the event each kept value came from by its eventId; the order key is re-derived from that
 * stored event on read (storing the 70-character key itself pushed typical items over 1 KB). The task
 * type needs no entry: every event carries one, so it always comes from the latest event.
 */
const sourceEventIdOf = (x: Execution, from: string): string => {
  const source = x.events.find((e) => orderKeyOf(e) === from);
  if (source === undefined) throw new RangeError(`execution ${x.taskId} keeps a value from an unknown event`);
  return source.eventId;
};

/** Read an execution back from its item (document-client shape). Re-derives the view from the events. */
export const fromExecutionItem = (
  item: Record<string, unknown>,
): { execution: Execution; version: number } => {
  const kf = (item.kf ?? {}) as { params?: string; error?: string };
  const taskId = String(item.taskId);
  const events = (item.events as StoredEvent[]).map(fromStoredEvent);
  const orderKeys = new Map(events.map((e) => [e.eventId, orderKeyOf(e)]));
  const fromEvent = (eventId: string): string => {
    const key = orderKeys.get(eventId);
    if (key === undefined)
      throw new RangeError(`execution ${taskId} keeps a value from unknown event ${eventId}`);
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
