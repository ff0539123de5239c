/**
 * CloudWatch metric names, units, dimension names and the default namespace: the one module that owns
 * them. The ingest Lambda emits these names (EMF, `lambdas/ingest/metrics.ts`), the monitor Lambda
 * publishes the monitor ones, and CDK (`infra/monitoring/`) graphs and alarms on them, so the dashboard
 * can never graph a metric nobody emits (a test checks it against the Lambda's captured EMF output).
 *
 * ## Dimension sets and their cardinality
 *
 * Every document carries `Stage` (one value per deployment, so two stages can share a namespace in
 * one account). Task metrics are published under these dimension sets:
 *
 * - `[Stage]`: totals over all task types (task health widgets, the overall failure rate);
 * - `[Stage, TaskType]`: one series per task type;
 * - `[Stage, TaskType, <key>]`: one series per value of each *configured* dimension key (CDK prop
 *   `aggregateDimensions`, e.g. `marketplace`), and only for events that carry that key.
 *
 * Each distinct combination of name and dimension values is a billed custom metric, so the bound is
 * `TASK_METRICS.length × (1 + taskTypes × (1 + Σ over configured keys of distinct values))`. Keys
 * that are not configured never become dimensions, whatever producers send; the contract bounds the
 * rest (task types and dimension values are short names from `NAME_PATTERN` /
 * `maxDimensionValueChars`, at most `maxDimensions` labels per event), and the contract asks producers
 * to use labels with few values (marketplace, tenant tier), never ids. With 50 task types and one
 * configured key with 10 values that is 9 × (1 + 50 × 11) ≈ 5,000 series.
 *
 * Configured dimension keys match `LABEL_KEY_PATTERN` (they start with a lower-case letter), so they
 * can never collide with the PascalCase dimension and metric names below in an EMF document.
 */
import type { TaskStatus } from '../contract/event';
import { DEFAULTS } from './env';

/** Namespace used when `TASKPULSE_METRICS_NAMESPACE` / the `metricsNamespace` prop is not set. */
export const DEFAULT_METRICS_NAMESPACE = DEFAULTS.metricsNamespace;

/** Dimension names. */
export const DIMENSION = {
  /** Deployment stage; on every Taskpulse metric. */
  stage: 'Stage',
  /** The event's `taskType`. */
  taskType: 'TaskType',
  /** Quarantine reason code (`REJECTION_CODES` in `contract/event.ts`: eight values). */
  reason: 'Reason',
} as const;

/**
 * Counts of stored executions per status (Unit Count), emitted as the change each execution write
 * makes (`tallyOf` in `lambdas/ingest/metrics.ts`), so redeliveries count nothing and a day's sum equals
 * the day's rollup: `Enqueued` at the first enqueue, `Started` at the first start (rollup `started`),
 * `Retrying` per distinct `retrying` event, `Succeeded`/`Failed`/`Cancelled` at the finish of the final
 * status (rollup `byStatus`). A value is negative when a later write retracts an earlier count.
 */
export const STATUS_METRIC = {
  enqueued: 'Enqueued',
  started: 'Started',
  retrying: 'Retrying',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
} as const satisfies Record<TaskStatus, string>;

/**
 * Metrics the ingest Lambda emits per task type from what it stored, back-dated to the minute of the
 * instant they count at. Dimension sets: `[Stage]`, `[Stage, TaskType]`, `[Stage, TaskType, <configured key>]`.
 */
export const TASK_METRIC = {
  ...STATUS_METRIC,
  /** Run time of the stored execution, ms, once when it first finishes, at `finishedAt`. */
  runTime: 'RunTime',
  /** enqueued → first start of the stored execution, ms, once when first known, at the first start. */
  waitTime: 'WaitTime',
  /** Ingest time − `occurredAt`, ms, per newly stored event (producer delay + queueing + ingest). */
  ingestLag: 'IngestLag',
} as const;

/**
 * Metrics the ingest Lambda emits once per batch at ingest time. Dimension set `[Stage]`; the
 * quarantine count also under `[Stage, Reason]`.
 */
export const PIPELINE_METRIC = {
  /** Valid events whose effect is durable (new ones and redelivered ones). */
  eventsAccepted: 'EventsAccepted',
  /** Messages stored in the quarantine (contract, merge conflict or refused write; see `Reason`). */
  quarantined: 'Quarantined',
  /** Accepted events that were already stored (SQS redeliveries and producer retries). */
  duplicates: 'Duplicates',
  /** Messages handed back to SQS to be delivered again (`batchItemFailures`). */
  recordsRetried: 'RecordsRetried',
} as const;

/**
 * Gauges the monitor Lambda emits (EMF) at each evaluation (Unit Count, `lambdas/monitor/metrics.ts`).
 * Dimension sets `[Stage]` (totals) and `[Stage, TaskType]` (each task type with activity in the
 * monitor's look-back), stamped with the evaluation time.
 */
export const MONITOR_METRIC = {
  /** Executions started and not yet finished, created within the stuck rule's look-back. */
  running: 'Running',
  /** Of those, executions started at least the stuck timeout ago (0 when the stuck rule is off). */
  stuck: 'Stuck',
} as const;

/**
 * Metrics the aggregate Lambda emits once per stream batch (Unit Count), dimension set `[Stage]`. They
 * show a stalled or lossy aggregator, which the stream itself does not (a reported partial failure is
 * not a Lambda error).
 */
export const AGGREGATE_METRIC = {
  /** Changes folded into the aggregates. */
  changesApplied: 'AggregateChangesApplied',
  /** Changes handed back to the stream for redelivery after a transient error (throttling, 5xx, network). */
  changesRetried: 'AggregateChangesRetried',
  /** Aggregate writes skipped after a permanent error; each is kept as a skip record (`AS#<day>`). */
  writesSkipped: 'AggregateWritesSkipped',
} as const;

export type TaskMetricName = (typeof TASK_METRIC)[keyof typeof TASK_METRIC];
export type AggregateMetricName = (typeof AGGREGATE_METRIC)[keyof typeof AGGREGATE_METRIC];
export type PipelineMetricName = (typeof PIPELINE_METRIC)[keyof typeof PIPELINE_METRIC];
export type MonitorMetricName = (typeof MONITOR_METRIC)[keyof typeof MONITOR_METRIC];
export type MetricName = TaskMetricName | PipelineMetricName | MonitorMetricName | AggregateMetricName;

/** CloudWatch units used here; the strings equal Powertools' `MetricUnit` and CDK's `cloudwatch.Unit` values. */
export const METRIC_UNIT = {
  count: 'Count',
  milliseconds: 'Milliseconds',
} as const;

export type MetricUnitName = (typeof METRIC_UNIT)[keyof typeof METRIC_UNIT];

/** Unit of every metric. Timings are milliseconds so CloudWatch percentiles (p50/p95/p99) work on them. */
export const UNIT_OF: Record<MetricName, MetricUnitName> = {
  Enqueued: METRIC_UNIT.count,
  Started: METRIC_UNIT.count,
  Retrying: METRIC_UNIT.count,
  Succeeded: METRIC_UNIT.count,
  Failed: METRIC_UNIT.count,
  Cancelled: METRIC_UNIT.count,
  RunTime: METRIC_UNIT.milliseconds,
  WaitTime: METRIC_UNIT.milliseconds,
  IngestLag: METRIC_UNIT.milliseconds,
  EventsAccepted: METRIC_UNIT.count,
  Quarantined: METRIC_UNIT.count,
  Duplicates: METRIC_UNIT.count,
  RecordsRetried: METRIC_UNIT.count,
  Running: METRIC_UNIT.count,
  Stuck: METRIC_UNIT.count,
  AggregateChangesApplied: METRIC_UNIT.count,
  AggregateChangesRetried: METRIC_UNIT.count,
  AggregateWritesSkipped: METRIC_UNIT.count,
};

/** Every metric name the ingest Lambda emits. */
export const INGEST_METRIC_NAMES: readonly (TaskMetricName | PipelineMetricName)[] = [
  ...Object.values(TASK_METRIC),
  ...Object.values(PIPELINE_METRIC),
];

/** Every metric name the aggregate Lambda emits. */
export const AGGREGATE_METRIC_NAMES: readonly AggregateMetricName[] = Object.values(AGGREGATE_METRIC);

/** Every metric name the monitor Lambda publishes. */
export const MONITOR_METRIC_NAMES: readonly MonitorMetricName[] = Object.values(MONITOR_METRIC);

/**
 * How far back and ahead of the ingest clock an EMF timestamp may be for CloudWatch to accept the
 * datapoints (two weeks past, two hours future), with a margin for the time the log takes to be
 * processed. Timestamps outside are clamped into the window rather than have the document dropped.
 */
export const EMF_TIMESTAMP_WINDOW = {
  maxPastMs: 14 * 24 * 3_600_000 - 15 * 60_000,
  maxFutureMs: 2 * 3_600_000 - 15 * 60_000,
} as const;
