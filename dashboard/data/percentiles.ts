import { summarizeAggregates } from '../../lambdas/domain/aggregate';
import { type Histogram, mergeHistograms, quantileOf } from '../../lambdas/domain/histogram';
import type { BucketAggregate } from '../../lambdas/domain/rules/buckets';
import { parseScope } from '../../lambdas/shared/names/keys';
import { DIMENSION, TASK_METRIC } from '../../lambdas/shared/names/metrics';
import type { AggregateReader } from '../../lambdas/shared/store/aggregate-reader';
import { daysBetween } from '../../lambdas/shared/time';
import type { MetricId } from './metric-key';
import type { MetricSink } from './metric-sink';

/**
 * Percentile statistics (`p50`, `p95`, `p99.9`, …), which the emulator's GetMetricData cannot compute.
 * Run and wait times come from our own time-bucket aggregates, the same histograms the rollups and
 * the monitor read, so a percentile on the page is the one `taskpulse stats` would report for the same
 * buckets; every other metric (ingest lag, function durations) from the histograms the metric sink
 * keeps of the values it sent. Both are within `RELATIVE_ACCURACY` of a value of the exact rank.
 */

/** Where a percentile series came from, shown next to its label. */
export type PercentileSource = 'aggregates' | 'samples';

/** `p95` → 0.95; `undefined` for any other statistic. Pure. */
export const percentileOf = (stat: string): number | undefined => {
  const m = /^p(\d{1,2}(\.\d+)?|100)$/.exec(stat);
  return m === null ? undefined : Number(m[1]) / 100;
};

/** The histogram field of the aggregates for a timing metric, if it has one. */
const HISTOGRAM_OF: Readonly<Record<string, 'run' | 'wait'>> = {
  [TASK_METRIC.runTime]: 'run',
  [TASK_METRIC.waitTime]: 'wait',
};

/** What percentile reads need. */
export interface PercentileDeps {
  readonly namespace: string;
  readonly stage: string;
  readonly aggregates: AggregateReader;
  readonly sink: MetricSink;
}

/**
 * Reads percentiles for one page refresh, remembering the aggregate items it read, so the widgets
 * that graph p50, p95 and p99 of one metric read each scope once.
 */
export class PercentileReader {
  private readonly scopeReads = new Map<string, Promise<BucketAggregate[]>>();
  private scopes?: Promise<string[]>;

  constructor(
    private readonly deps: PercentileDeps,
    private readonly fromMs: number,
    private readonly toMs: number,
  ) {}

  /** The percentile of one metric per grid bucket `[t, t + period)`. */
  async series(
    metric: MetricId,
    q: number,
    periodSeconds: number,
    grid: readonly number[],
  ): Promise<{ points: Map<number, number>; source: PercentileSource }> {
    const periodMs = periodSeconds * 1000;
    const points = new Map<number, number>();
    const histogram = this.aggregateHistogramOf(metric);
    if (histogram !== undefined) {
      const buckets = await this.bucketsOf(metric.dimensions[DIMENSION.taskType]);
      for (const t of grid) {
        const parts: Histogram[] = buckets
          .filter((b) => b.startMs >= t && b.startMs < t + periodMs)
          .map((b) => summarizeAggregates([b.fields])[histogram].histogram);
        const value = parts.length === 0 ? undefined : quantileOf(mergeHistograms(...parts), q);
        if (value !== undefined) points.set(t, value);
      }
      return { points, source: 'aggregates' };
    }
    for (const t of grid) {
      const value = this.deps.sink.percentile(metric, t, t + periodMs, q);
      if (value !== undefined) points.set(t, value);
    }
    return { points, source: 'samples' };
  }

  /** `run` / `wait` when the aggregates hold this metric's histogram (our namespace and stage, all or one task type). */
  private aggregateHistogramOf(metric: MetricId): 'run' | 'wait' | undefined {
    const names = Object.keys(metric.dimensions).sort().join(',');
    const ours =
      metric.namespace === this.deps.namespace &&
      metric.dimensions[DIMENSION.stage] === this.deps.stage &&
      (names === DIMENSION.stage || names === [DIMENSION.stage, DIMENSION.taskType].sort().join(','));
    return ours ? HISTOGRAM_OF[metric.name] : undefined;
  }

  /** Aggregate buckets of one task type, or of every task type (the `[Stage]` totals). */
  private async bucketsOf(taskType: string | undefined): Promise<BucketAggregate[]> {
    const scopes = taskType !== undefined ? [taskType] : await this.taskTypeScopes();
    const reads = await Promise.all(scopes.map((s) => this.read(s)));
    return reads.flat();
  }

  private read(scope: string): Promise<BucketAggregate[]> {
    let read = this.scopeReads.get(scope);
    if (read === undefined) {
      read = this.deps.aggregates.readRange(scope, this.fromMs, this.toMs);
      this.scopeReads.set(scope, read);
    }
    return read;
  }

  private taskTypeScopes(): Promise<string[]> {
    this.scopes ??= (async () => {
      const days = daysBetween(
        new Date(this.fromMs).toISOString().slice(0, 10),
        new Date(this.toMs - 1).toISOString().slice(0, 10),
      );
      const perDay = await Promise.all(days.map((d) => this.deps.aggregates.listScopes(d)));
      return [...new Set(perDay.flat())].filter((s) => parseScope(s).dimension === undefined);
    })();
    return this.scopes;
  }
}
