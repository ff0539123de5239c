import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Execution } from '../domain/execution';
import { isTerminal, type TaskStatus } from '../shared/contract/event';
import { ENV, listEnv } from '../shared/names/env';
import {
  DEFAULT_METRICS_NAMESPACE,
  DIMENSION,
  EMF_TIMESTAMP_WINDOW,
  type MetricName,
  type MetricUnitName,
  PIPELINE_METRIC,
  STATUS_METRIC,
  TASK_METRIC,
  UNIT_OF,
} from '../shared/names/metrics';
import type { IngestOutcome } from './ingest-batch';

/**
 * Ingest metrics: a pure function from one batch's `IngestOutcome` to metric records, and a thin
 * emitter that writes each record as one CloudWatch embedded-metric-format (EMF) document through
 * Powertools Metrics. Names come from `shared/names/metrics.ts`, which CDK graphs and alarms on.
 *
 * Task metrics are grouped by (task type, minute of `occurredAt`, configured dimension values) and
 * each group's document carries that minute as its EMF timestamp, so a late event is counted in the
 * minute it happened (CloudWatch accepts timestamps up to two weeks back and two hours ahead; outside
 * that window the timestamp is clamped so the counts are never dropped). Pipeline metrics are stamped
 * with the ingest time.
 *
 * Task metrics count what was stored, not what was delivered (`toMetricRecords`): a redelivered
 * message writes nothing and counts nothing, so a CloudWatch sum over a day equals the day's rollup.
 * The one gap: metrics are emitted after the batch's writes, so a write whose answer was lost (or a
 * crash between write and emit) is never counted by CloudWatch, while the rollups still count it.
 */

/** One metric of a record: every sample of it (one for counts, one per event for timings). */
export interface MetricSample {
  readonly name: MetricName;
  readonly unit: MetricUnitName;
  readonly values: readonly number[];
}

/** One EMF document to be: its timestamp, its dimension sets (the first one is the main set) and its metrics. */
export interface MetricRecord {
  /** Epoch ms; within the window CloudWatch accepts. */
  readonly timestampMs: number;
  /** Dimension name → value, per dimension set. All sets of one record agree on shared keys. */
  readonly dimensionSets: readonly Readonly<Record<string, string>>[];
  readonly metrics: readonly MetricSample[];
}

interface MetricRecordOptions {
  /** Deployment stage, the `Stage` dimension of every record. */
  readonly stage: string;
  /** Ingest clock, ms. */
  readonly nowMs: number;
  /** Event dimension keys that become metric dimensions (`aggregateDimensions`). @default [] */
  readonly dimensionKeys?: readonly string[];
}

/** Most values of one metric in one EMF document (Powertools flushes at this size, dropping our timestamp). */
export const MAX_VALUES_PER_METRIC = 100;

const MINUTE_MS = 60_000;

const STATUS_ORDER = Object.keys(STATUS_METRIC) as TaskStatus[];

/** The minute of an instant, clamped into the window of timestamps CloudWatch accepts. */
export const emfTimestampOf = (occurredMs: number, nowMs: number): number => {
  const minute = Math.floor(occurredMs / MINUTE_MS) * MINUTE_MS;
  return Math.min(
    Math.max(minute, nowMs - EMF_TIMESTAMP_WINDOW.maxPastMs),
    nowMs + EMF_TIMESTAMP_WINDOW.maxFutureMs,
  );
};

interface TaskGroup {
  readonly timestampMs: number;
  readonly dimensionSets: Record<string, string>[];
  readonly counts: Record<TaskStatus, number>;
  readonly runTime: number[];
  readonly waitTime: number[];
  readonly ingestLag: number[];
}

const sample = (name: MetricName, values: readonly number[]): MetricSample => ({
  name,
  unit: UNIT_OF[name],
  values,
});

/** Split a group's samples so no metric has more than MAX_VALUES_PER_METRIC values in one record. */
const chunkGroup = (group: TaskGroup): MetricRecord[] => {
  const timings: [MetricName, number[]][] = [
    [TASK_METRIC.runTime, group.runTime],
    [TASK_METRIC.waitTime, group.waitTime],
    [TASK_METRIC.ingestLag, group.ingestLag],
  ];
  const chunks = Math.max(1, ...timings.map(([, v]) => Math.ceil(v.length / MAX_VALUES_PER_METRIC)));
  const records: MetricRecord[] = [];
  for (let i = 0; i < chunks; i++) {
    const metrics: MetricSample[] =
      i === 0 ? STATUS_ORDER.map((s) => sample(STATUS_METRIC[s], [group.counts[s]])) : [];
    for (const [name, values] of timings) {
      const part = values.slice(i * MAX_VALUES_PER_METRIC, (i + 1) * MAX_VALUES_PER_METRIC);
      if (part.length > 0) metrics.push(sample(name, part));
    }
    records.push({ timestampMs: group.timestampMs, dimensionSets: group.dimensionSets, metrics });
  }
  return records;
};

/** One unit an execution counts for: a status metric at an instant (ms). */
interface Tally {
  readonly status: TaskStatus;
  readonly atMs: number;
}

/**
 * What a stored execution counts for in the status metrics, the same way the aggregates count it:
 * `Enqueued` once at `enqueuedAt`; `Started` once at the first start (the rollups' `started`);
 * `Retrying` once per distinct `retrying` event at its time; `Succeeded` / `Failed` / `Cancelled`
 * once at `finishedAt` for the final status (the rollups' `byStatus`). Pure.
 */
const tallyOf = (x: Execution | undefined): Tally[] => {
  if (x === undefined) return [];
  const out: Tally[] = [];
  if (x.enqueuedAt !== undefined) out.push({ status: 'enqueued', atMs: Date.parse(x.enqueuedAt) });
  if (x.firstStartedAt !== undefined) out.push({ status: 'started', atMs: Date.parse(x.firstStartedAt) });
  for (const e of x.events)
    if (e.status === 'retrying') out.push({ status: 'retrying', atMs: Date.parse(e.occurredAt) });
  if (x.finishedAt !== undefined && isTerminal(x.status))
    out.push({ status: x.status, atMs: Date.parse(x.finishedAt) });
  return out;
};

/**
 * The metric records of one batch. Pure: the same outcome and options always give the same records.
 * Task records first (grouped by task type, minute and configured dimension values), then the
 * pipeline record, then one quarantine record per rejection code present.
 *
 * Task metrics come from the execution writes (`outcome.changes`), never from the delivered events:
 * each status count is `tallyOf(after) − tallyOf(before)`, so a redelivery (no write) counts nothing
 * and the counts of an execution over all its writes telescope to what it counts for now. A count can
 * therefore be negative: when a later write moves or retracts what an earlier one counted (a late
 * event of a higher attempt reopens a run that looked finished, or a later terminal event moves
 * `finishedAt`), −1 is emitted where +1 was. Summed over a day, `Succeeded`/`Failed`/`Cancelled`
 * equal the day's rollup `byStatus` and `Started` its `started`. Timings are samples, emitted once
 * per execution: `RunTime` when it first finishes (at `finishedAt`), `WaitTime` when its wait is
 * first known (at the first start), and `IngestLag` per newly stored event.
 */
export const toMetricRecords = (outcome: IngestOutcome, options: MetricRecordOptions): MetricRecord[] => {
  const { stage, nowMs } = options;
  const keys = [...(options.dimensionKeys ?? [])].sort();

  const groups = new Map<string, TaskGroup>();
  const groupOf = (x: Execution, atMs: number): TaskGroup => {
    const timestampMs = emfTimestampOf(atMs, nowMs);
    const labels = keys.flatMap((k) => {
      const v = x.dimensions[k];
      return v === undefined ? [] : [[k, v] as const];
    });
    const id = JSON.stringify([x.taskType, timestampMs, labels]);
    let group = groups.get(id);
    if (group === undefined) {
      const main = { [DIMENSION.stage]: stage, [DIMENSION.taskType]: x.taskType };
      group = {
        timestampMs,
        dimensionSets: [main, { [DIMENSION.stage]: stage }, ...labels.map(([k, v]) => ({ ...main, [k]: v }))],
        counts: Object.fromEntries(STATUS_ORDER.map((s) => [s, 0])) as Record<TaskStatus, number>,
        runTime: [],
        waitTime: [],
        ingestLag: [],
      };
      groups.set(id, group);
    }
    return group;
  };

  for (const { before, after } of outcome.changes) {
    if (before !== undefined) for (const t of tallyOf(before)) groupOf(before, t.atMs).counts[t.status]--;
    for (const t of tallyOf(after)) groupOf(after, t.atMs).counts[t.status]++;
    if (before?.finishedAt === undefined && after.finishedAt !== undefined && after.runMs !== undefined)
      groupOf(after, Date.parse(after.finishedAt)).runTime.push(after.runMs);
    if (before?.waitMs === undefined && after.waitMs !== undefined && after.firstStartedAt !== undefined)
      groupOf(after, Date.parse(after.firstStartedAt)).waitTime.push(after.waitMs);
    const known = new Set(before?.events.map((e) => e.eventId));
    for (const e of after.events) {
      if (known.has(e.eventId)) continue;
      const occurredMs = Date.parse(e.occurredAt);
      groupOf(after, occurredMs).ingestLag.push(Math.max(0, nowMs - occurredMs));
    }
  }
  const changed = [...groups.values()].filter(
    (g) =>
      STATUS_ORDER.some((s) => g.counts[s] !== 0) ||
      g.runTime.length + g.waitTime.length + g.ingestLag.length > 0,
  );

  const byReason = new Map<string, number>();
  for (const q of outcome.quarantined)
    byReason.set(q.rejection.code, (byReason.get(q.rejection.code) ?? 0) + 1);

  return [
    ...changed.flatMap(chunkGroup),
    {
      timestampMs: nowMs,
      dimensionSets: [{ [DIMENSION.stage]: stage }],
      metrics: [
        sample(PIPELINE_METRIC.eventsAccepted, [outcome.accepted.length]),
        sample(PIPELINE_METRIC.quarantined, [outcome.quarantined.length]),
        sample(PIPELINE_METRIC.duplicates, [outcome.duplicates]),
        sample(PIPELINE_METRIC.recordsRetried, [outcome.failedMessageIds.length]),
      ],
    },
    ...[...byReason.entries()].sort().map(([reason, count]) => ({
      timestampMs: nowMs,
      dimensionSets: [{ [DIMENSION.stage]: stage, [DIMENSION.reason]: reason }],
      metrics: [sample(PIPELINE_METRIC.quarantined, [count])],
    })),
  ];
};

type MetricsLogger = NonNullable<NonNullable<ConstructorParameters<typeof Metrics>[0]>['logger']>;

/**
 * Powertools warns whenever a key appears in two dimension sets of one document. Our sets share keys
 * with equal values by construction (`[Stage, TaskType]`, `[Stage]`, `[Stage, TaskType, key]`), so
 * that warning would be noise on every batch; every other message passes through.
 */
const withoutOverlapWarnings = (logger: MetricsLogger): MetricsLogger => ({
  debug: (...args) => logger.debug(...args),
  info: (...args) => logger.info(...args),
  error: (...args) => logger.error(...args),
  warn: (...args) => {
    const [first] = args;
    if (
      typeof first === 'string' &&
      /^EMF key ".*" is defined as both a dimension set and dimension set/.test(first)
    )
      return;
    logger.warn(...args);
  },
});

/** Configuration of the ingest metrics, read from the environment once at cold start. */
interface IngestMetricsConfig {
  readonly namespace: string;
  readonly stage: string;
  readonly dimensionKeys: readonly string[];
}

/**
 * Read the metrics configuration: namespace (`TASKPULSE_METRICS_NAMESPACE`, default `Taskpulse`),
 * stage (`TASKPULSE_STAGE`, default `dev` like the CDK prop) and the configured dimension keys
 * (`TASKPULSE_AGGREGATE_DIMENSIONS`, the same keys that get their own aggregates).
 */
export const metricsConfigFromEnv = (env: NodeJS.ProcessEnv = process.env): IngestMetricsConfig => ({
  namespace: env[ENV.metricsNamespace]?.trim() || DEFAULT_METRICS_NAMESPACE,
  stage: env[ENV.stage]?.trim() || 'dev',
  dimensionKeys: listEnv(ENV.aggregateDimensions, env),
});

/** A Powertools Metrics instance for the ingest records: our namespace, no `service` dimension. */
const createIngestMetrics = (namespace: string, logger: MetricsLogger = console): Metrics => {
  const metrics = new Metrics({
    namespace,
    serviceName: 'taskpulse-ingest',
    logger: withoutOverlapWarnings(logger),
  });
  // Powertools adds a `service` dimension to every set by default; ours are exactly the documented ones.
  metrics.clearDefaultDimensions();
  return metrics;
};

const POWERTOOLS_UNIT: Record<MetricUnitName, (typeof MetricUnit)[keyof typeof MetricUnit]> = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
};

/** Write each record as one EMF document (one line on stdout, which Lambda sends to CloudWatch Logs). */
export const emitMetricRecords = (metrics: Metrics, records: readonly MetricRecord[]): void => {
  for (const record of records) {
    // Every set through addDimensions: each becomes one `Dimensions` entry, in order.
    for (const set of record.dimensionSets) metrics.addDimensions({ ...set });
    metrics.setTimestamp(record.timestampMs);
    for (const m of record.metrics)
      for (const value of m.values) metrics.addMetric(m.name, POWERTOOLS_UNIT[m.unit], value);
    metrics.publishStoredMetrics();
  }
};

/**
 * The handler's `onOutcome` hook: turn each batch outcome into records and emit them. Metrics are
 * best effort: a failure here is logged and never fails the batch, whose effect is already durable.
 */
export const createMetricsPublisher = (
  config: IngestMetricsConfig,
  options: { readonly metrics?: Metrics; readonly now?: () => number; readonly logger?: MetricsLogger } = {},
) => {
  const logger = options.logger ?? console;
  const metrics = options.metrics ?? createIngestMetrics(config.namespace, logger);
  const now = options.now ?? Date.now;
  return (outcome: IngestOutcome): void => {
    try {
      const records = toMetricRecords(outcome, {
        stage: config.stage,
        nowMs: now(),
        dimensionKeys: config.dimensionKeys,
      });
      for (const observer of observers) observer(records);
      emitMetricRecords(metrics, records);
    } catch (error) {
      logger.error('ingest metrics could not be emitted', error);
    }
  };
};

type MetricRecordsObserver = (records: readonly MetricRecord[]) => void;
const observers = new Set<MetricRecordsObserver>();

/**
 * See the records every ingest metrics publisher in this process emits, batch by batch. For local
 * mode, which runs the real handler in-process: collect the records for a period and print
 * `formatMetricsLine(records)`; set `POWERTOOLS_METRICS_DISABLED=true` in the handler's environment
 * to keep the raw EMF lines off stdout (records are still observed). Returns a function that stops
 * observing.
 */
export const observeMetricRecords = (observer: MetricRecordsObserver): (() => void) => {
  observers.add(observer);
  return () => {
    observers.delete(observer);
  };
};

/** Nearest-rank percentile of unsorted values. */
const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

const formatMs = (ms: number): string =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms)}ms`;

/**
 * A compact one-line summary of metric records, one segment per task type (sorted) and one for the
 * pipeline, e.g.
 * `send_invoice: 2 succeeded, 1 failed (33.3% failed), run p95 2000ms, lag p95 140ms | pipeline: 3 accepted, 0 quarantined`.
 * Local mode prints it so a user sees without AWS what the dashboard will graph. Counts sum over the
 * records given (pass a period's worth); percentiles are nearest-rank over the samples; the failure
 * rate is failed ÷ finished (succeeded + failed + cancelled), as on the dashboard.
 */
export const formatMetricsLine = (records: readonly MetricRecord[]): string => {
  const types = new Map<string, { counts: Map<string, number>; timings: Map<string, number[]> }>();
  const pipeline = new Map<string, number>();
  for (const record of records) {
    const main = record.dimensionSets[0] ?? {};
    const taskType = main[DIMENSION.taskType];
    if (taskType === undefined) {
      if (main[DIMENSION.reason] !== undefined) continue;
      for (const m of record.metrics) pipeline.set(m.name, (pipeline.get(m.name) ?? 0) + (m.values[0] ?? 0));
      continue;
    }
    const entry = types.get(taskType) ?? { counts: new Map(), timings: new Map() };
    types.set(taskType, entry);
    for (const m of record.metrics) {
      if (m.unit === 'Count') entry.counts.set(m.name, (entry.counts.get(m.name) ?? 0) + (m.values[0] ?? 0));
      else entry.timings.set(m.name, [...(entry.timings.get(m.name) ?? []), ...m.values]);
    }
  }
  const segments = [...types.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([taskType, { counts, timings }]) => {
      const count = (s: TaskStatus) => counts.get(STATUS_METRIC[s]) ?? 0;
      const finished = count('succeeded') + count('failed') + count('cancelled');
      const statuses = STATUS_ORDER.filter((s) => count(s) > 0)
        .map((s) => `${count(s)} ${s}`)
        .join(', ');
      const rate = finished > 0 ? ` (${((100 * count('failed')) / finished).toFixed(1)}% failed)` : '';
      const percentiles = (
        [
          [TASK_METRIC.runTime, 'run'],
          [TASK_METRIC.waitTime, 'wait'],
          [TASK_METRIC.ingestLag, 'lag'],
        ] as const
      ).flatMap(([name, label]) => {
        const values = timings.get(name) ?? [];
        return values.length > 0 ? [`${label} p95 ${formatMs(percentile(values, 95))}`] : [];
      });
      return `${taskType}: ${[statuses + rate, ...percentiles].filter((p) => p !== '').join(', ')}`;
    });
  if (pipeline.size > 0) {
    const n = (name: string) => pipeline.get(name) ?? 0;
    const extra = [
      n(PIPELINE_METRIC.duplicates) > 0 ? `, ${n(PIPELINE_METRIC.duplicates)} duplicates` : '',
      n(PIPELINE_METRIC.recordsRetried) > 0 ? `, ${n(PIPELINE_METRIC.recordsRetried)} retried` : '',
    ].join('');
    segments.push(
      `pipeline: ${n(PIPELINE_METRIC.eventsAccepted)} accepted, ${n(PIPELINE_METRIC.quarantined)} quarantined${extra}`,
    );
  }
  return segments.join(' | ');
};
