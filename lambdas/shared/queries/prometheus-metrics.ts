import { summarizeAggregates } from '../../domain/aggregate';
import { cumulativeBucketsOf, type HistogramSeries, type MetricFamily } from '../../domain/prometheus';
import type { PipelineProbe, QueueDepth } from '../aws/pipeline-probe';
import { parseScope } from '../names/keys';
import { PROM_LABEL, PROM_METRIC, PROM_QUEUE } from '../names/prometheus';
import type { AggregateReader } from '../store/aggregate-reader';
import type { RunRecordStore } from '../store/run-record-store';
import { bucketOf, dayStartMs } from '../time';
import { mapLimited } from './index-pages';

/**
 * `GET /metrics`: the figures Prometheus scrapes, as metric families (`formatPrometheus` renders them).
 *
 * Counters and histograms cover executions finished since 00:00 UTC, read from today's time-bucket
 * aggregates of each task type: O(task types × buckets so far today) items, whatever the number of
 * executions stored. They drop to zero at midnight UTC, which Prometheus's `rate()` and `increase()`
 * treat as a counter reset. Running and stuck gauges are the monitor's counts at its last run (one
 * item); queue gauges come from SQS.
 */

export interface MetricsDeps {
  readonly aggregates: AggregateReader;
  readonly runRecords: RunRecordStore;
  readonly probe: PipelineProbe;
  readonly now?: () => number;
  /** Task types read at once. @default 8 */
  readonly concurrency?: number;
}

const MS_PER_SECOND = 1000;

/** Read today's aggregates, the run records and the queues, and shape them as metric families. */
export const readMetricFamilies = async (deps: MetricsDeps): Promise<MetricFamily[]> => {
  const nowMs = (deps.now ?? Date.now)();
  const { day } = bucketOf(nowMs);
  const [scopes, runs, depths] = await Promise.all([
    deps.aggregates.listScopes(day),
    deps.runRecords.readAll(),
    deps.probe.queueDepths(),
  ]);
  const taskTypes = scopes.filter((scope) => parseScope(scope).dimension === undefined);
  const summaries = await mapLimited(taskTypes, deps.concurrency ?? 8, async (taskType) => {
    const buckets = await deps.aggregates.readRange(taskType, dayStartMs(day), nowMs + 1);
    return { taskType, summary: summarizeAggregates(buckets.map((b) => b.fields)) };
  });

  const histogram = (which: 'run' | 'wait'): HistogramSeries[] =>
    summaries.map(({ taskType, summary }) => {
      const { buckets, count } = cumulativeBucketsOf(summary[which].histogram);
      return {
        labels: { [PROM_LABEL.taskType]: taskType },
        buckets,
        count,
        sum: summary[which].sum / MS_PER_SECOND,
      };
    });
  const gauges = runs.monitor?.gauges ?? [];
  const queue = (name: string, d: QueueDepth) => [
    { labels: { [PROM_LABEL.queue]: name, [PROM_LABEL.state]: 'visible' }, value: d.visible },
    { labels: { [PROM_LABEL.queue]: name, [PROM_LABEL.state]: 'in_flight' }, value: d.inFlight },
  ];
  return [
    {
      name: PROM_METRIC.executionsTotal,
      help: 'Executions finished since 00:00 UTC (resets daily), by task type and final status.',
      type: 'counter',
      samples: summaries.flatMap(({ taskType, summary }) =>
        Object.entries(summary.byStatus)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([status, value]) => ({
            labels: { [PROM_LABEL.taskType]: taskType, [PROM_LABEL.status]: status },
            value,
          })),
      ),
    },
    {
      name: PROM_METRIC.retriesTotal,
      help: 'Failed attempts that were retried, of executions finished since 00:00 UTC (resets daily).',
      type: 'counter',
      samples: summaries.map(({ taskType, summary }) => ({
        labels: { [PROM_LABEL.taskType]: taskType },
        value: summary.retried,
      })),
    },
    {
      name: PROM_METRIC.runDuration,
      help: 'Run time of executions finished since 00:00 UTC, seconds (bucket counts within 2% of each bound).',
      type: 'histogram',
      series: histogram('run'),
    },
    {
      name: PROM_METRIC.waitDuration,
      help: 'Wait time (enqueued to started) of executions finished since 00:00 UTC, seconds (bucket counts within 2% of each bound).',
      type: 'histogram',
      series: histogram('wait'),
    },
    {
      name: PROM_METRIC.runningExecutions,
      help: 'Executions started and not finished, as the monitor counted them at its last run.',
      type: 'gauge',
      samples: gauges.map((g) => ({ labels: { [PROM_LABEL.taskType]: g.taskType }, value: g.running })),
    },
    {
      name: PROM_METRIC.stuckExecutions,
      help: "Executions running longer than the stuck rule's timeout, at the monitor's last run.",
      type: 'gauge',
      samples: gauges.map((g) => ({ labels: { [PROM_LABEL.taskType]: g.taskType }, value: g.stuck })),
    },
    {
      name: PROM_METRIC.queueMessages,
      help: 'Messages in a pipeline queue: events, dead_letter, aggregate_failures.',
      type: 'gauge',
      samples: [
        ...queue(PROM_QUEUE.events, depths.events),
        ...queue(PROM_QUEUE.deadLetter, depths.deadLetter),
        ...queue(PROM_QUEUE.aggregateFailures, depths.aggregateFailures),
      ],
    },
    {
      name: PROM_METRIC.lastRunTimestamp,
      help: 'When a scheduled job (monitor, rollup) last completed, Unix seconds.',
      type: 'gauge',
      samples: (['monitor', 'rollup'] as const).flatMap((job) => {
        const run = runs[job];
        return run === undefined
          ? []
          : [{ labels: { [PROM_LABEL.job]: job }, value: run.completedAtMs / MS_PER_SECOND }];
      }),
    },
  ];
};
