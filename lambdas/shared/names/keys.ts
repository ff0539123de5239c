/**
 * DynamoDB key formats, index names and attribute names: the one module that owns them.
 *
 * Two tables:
 * - **history** (executions and quarantine), with a stream (NEW_AND_OLD_IMAGES) that feeds the
 *   aggregator. Items expire through the TTL attribute.
 * - **state** (time-bucket aggregates, the scope registry, daily rollups, alert states).
 *
 * Execution items carry two sparse, KEYS_ONLY global secondary indexes whose keys are written once in
 * the normal life of a task, so that a status change does not rewrite index entries (each index write
 * is another write unit). Index partitions are sharded by a hash of the taskId so that one busy task
 * type cannot exceed a partition's 1,000 write units per second. A third, `byJob`, is keyed on the
 * execution's own `jobId` and `pk` attributes: only executions of a job are in it, and its keys never
 * change.
 */
import { createHash } from 'node:crypto';

/** Attribute names shared by both tables. */
export const ATTR = {
  pk: 'pk',
  sk: 'sk',
  gsi1pk: 'gsi1pk',
  gsi1sk: 'gsi1sk',
  gsi2pk: 'gsi2pk',
  gsi2sk: 'gsi2sk',
  /** TTL attribute, epoch seconds. */
  expiresAt: 'expiresAt',
  /**
   * An execution's job id, written only when its events carry one: the partition key of the sparse
   * byJob index, whose sort key is the item's own `pk` (the item's own attributes, so indexing a job
   * costs no extra bytes, and neither key ever changes).
   */
  jobId: 'jobId',
} as const;

/** Index names of the history table. */
export const INDEX = {
  /** Executions by task type and creation time: `T#<type>#<day>#<shard>` / `<createdAt>#<taskId>`. */
  byType: 'byType',
  /**
   * Finished executions with a non-success final status, by status, task type and finish time:
   * `S#<status>#<type>#<day>#<shard>` / `<finishedAt>#<taskId>` (decision 0097).
   */
  byStatus: 'byStatus',
  /**
   * Executions that belong to a job, by `jobId` / `pk` (KEYS_ONLY). Sparse: executions without a job
   * have no `jobId` attribute and cost no index write.
   */
  byJob: 'byJob',
} as const;

/** Shards per index partition key (fan-out of queries; write ceiling per type is this × 1,000 WCU/s). */
export const INDEX_SHARDS = 8;

/** Final statuses that are written to the byStatus index. Successes are the bulk and are not indexed. */
export const INDEXED_FINAL_STATUSES = ['failed', 'cancelled'] as const;

/** Width of one aggregate time bucket, minutes. */
export const BUCKET_MINUTES = 5;

const SORT_KEY_OF_EXECUTION = 'EX';

/** Stable shard number in [0, INDEX_SHARDS) for an id. */
export const shardOf = (id: string, shards: number = INDEX_SHARDS): number =>
  createHash('sha1').update(id).digest().readUInt32BE(0) % shards;

/** `YYYY-MM-DD` of an ISO timestamp, UTC. */
export const dayOf = (iso: string): string => new Date(iso).toISOString().slice(0, 10);

export const executionKey = (taskId: string) => ({ pk: `EX#${taskId}`, sk: SORT_KEY_OF_EXECUTION });

/** True for a history-table partition key that belongs to an execution (the stream filter uses the prefix). */
export const EXECUTION_PK_PREFIX = 'EX#';

export const byTypePartition = (taskType: string, day: string, shard: number): string =>
  `T#${taskType}#${day}#${shard}`;
export const byTypeSort = (createdAt: string, taskId: string): string => `${createdAt}#${taskId}`;

/**
 * The task type is part of the key so that "failed runs of one type" reads that type's failures only;
 * a list of every type fans out over the types active on the day, as byType does (decision 0097).
 * Entries written before decision 0097 (`S#<status>#<day>#<shard>`) are no longer read.
 */
export const byStatusPartition = (status: string, taskType: string, day: string, shard: number): string =>
  `S#${status}#${taskType}#${day}#${shard}`;
export const byStatusSort = (finishedAt: string, taskId: string): string => `${finishedAt}#${taskId}`;

/** Quarantine items live in the history table, keyed by the SQS send time so redeliveries overwrite. */
export const quarantineKey = (sentAt: string, messageId: string) => ({
  pk: `Q#${dayOf(sentAt)}#${shardOf(messageId)}`,
  sk: `${sentAt}#${messageId}`,
});
export const quarantinePartition = (day: string, shard: number): string => `Q#${day}#${shard}`;

/**
 * A scope is what an aggregate, rollup or alert is about: a task type, or a task type narrowed to one
 * configured dimension value (`send_invoice|marketplace=DE`).
 */
export const scopeOf = (taskType: string, dimension?: { key: string; value: string }): string =>
  dimension === undefined ? taskType : `${taskType}|${dimension.key}=${dimension.value}`;

/** Split a scope back into its task type and optional dimension. */
export const parseScope = (
  scope: string,
): { taskType: string; dimension?: { key: string; value: string } } => {
  const bar = scope.indexOf('|');
  if (bar < 0) return { taskType: scope };
  const rest = scope.slice(bar + 1);
  const eq = rest.indexOf('=');
  return { taskType: scope.slice(0, bar), dimension: { key: rest.slice(0, eq), value: rest.slice(eq + 1) } };
};

/**
 * Aggregate items of one scope and one bucket: `AG#<scope>#<day>` / `<HH:MM>` for the core counters
 * and `<HH:MM>#<part>` for histogram and error parts (bucket start, UTC). A bucket is split into parts
 * so that no update needs more than ~100 attribute names (DynamoDB expressions are limited to 4 KB)
 * and an update rewrites only the part it touches.
 */
export const aggregateKey = (scope: string, day: string, slot: string, part = '') => ({
  pk: `AG#${scope}#${day}`,
  sk: part === '' ? slot : `${slot}#${part}`,
});
/** Sort-key bounds that select every part of the buckets from `fromSlot` to `toSlot`. */
export const aggregateSortRange = (fromSlot: string, toSlot: string) => ({
  from: fromSlot,
  to: `${toSlot}#\uffff`,
});
/** The bucket slot (`HH:MM`) of an aggregate item's sort key. */
export const slotOfAggregateSort = (sk: string): string => sk.slice(0, 5);
export const aggregatePartition = (scope: string, day: string): string => `AG#${scope}#${day}`;

/** Registry of scopes that had activity on a day, so readers can list them without scanning. */
export const scopeRegistryKey = (day: string, scope: string) => ({ pk: `SC#${day}`, sk: scope });
export const scopeRegistryPartition = (day: string): string => `SC#${day}`;

/** Daily rollups, stored permanently: `RU#<day>` / `<scope>`. */
export const rollupKey = (day: string, scope: string) => ({ pk: `RU#${day}`, sk: scope });
export const rollupPartition = (day: string): string => `RU#${day}`;

/** Alert state of one rule on one scope: `AL` / `<rule>#<scope>` (few items; listed with one query). */
export const alertStateKey = (rule: string, scope: string) => ({ pk: 'AL', sk: `${rule}#${scope}` });
export const ALERT_STATE_PARTITION = 'AL';

/** Days whose aggregates changed after the day ended (late events), so the scheduled rollup recomputes them. */
export const DIRTY_DAYS_PARTITION = 'DIRTY';
export const dirtyDayKey = (day: string) => ({ pk: DIRTY_DAYS_PARTITION, sk: day });

/**
 * Aggregate writes the aggregator skipped after a permanent error (DynamoDB refused the write itself),
 * by the day of the bucket they were for, so an operator lists them per day and rebuilds that day:
 * `AS#<day>` / `<intent>#<scope>#<slot>#<part>` (a retry of the same batch overwrites its own record).
 */
export const aggregateSkipKey = (day: string, intent: string, scope: string, slot: string, part: string) => ({
  pk: `AS#${day}`,
  sk: `${intent}#${scope}#${slot}#${part}`,
});
export const aggregateSkipPartition = (day: string): string => `AS#${day}`;

/**
 * When a scheduled job last completed: `RUN#<job>` / `RUN` (one partition per job, so each job's grant
 * covers only its own record). Read by `/health` and `/metrics`.
 */
export const RUN_RECORD_JOBS = ['monitor', 'rollup'] as const;
export type RunRecordJob = (typeof RUN_RECORD_JOBS)[number];
export const runRecordKey = (job: RunRecordJob) => ({ pk: `RUN#${job}`, sk: 'RUN' });

/**
 * Partition-key prefixes (`…#`) and whole partitions of each item kind, as the key functions above
 * write them. CDK restricts each function's writes to the kinds it owns with `dynamodb:LeadingKeys`
 * (`infra/grants.ts`); `test/infra/grants.test.ts` checks them against the key functions.
 */
export const PARTITION = {
  /** History table: executions, `EX#<taskId>`. */
  execution: EXECUTION_PK_PREFIX,
  /** History table: quarantined messages, `Q#<day>#<shard>`. */
  quarantine: 'Q#',
  /** State table: aggregates, `AG#<scope>#<day>`. */
  aggregate: 'AG#',
  /** State table: scope registry, `SC#<day>`. */
  scopeRegistry: 'SC#',
  /** State table: daily rollups, `RU#<day>`. */
  rollup: 'RU#',
  /** State table: alert states, the one partition `AL`. */
  alertState: ALERT_STATE_PARTITION,
  /** State table: the aggregator's intent ledger, the one partition `LG` (`store/aggregate-store.ts`). */
  ledger: 'LG',
  /** State table: days changed after they ended, the one partition `DIRTY`. */
  dirtyDays: DIRTY_DAYS_PARTITION,
  /** State table: aggregate writes the aggregator skipped after a permanent error, `AS#<day>`. */
  aggregateSkip: 'AS#',
  /** State table: the monitor's run record, the one partition `RUN#monitor`. */
  monitorRun: runRecordKey('monitor').pk,
  /** State table: the scheduled rollup's run record, the one partition `RUN#rollup`. */
  rollupRun: runRecordKey('rollup').pk,
} as const;
