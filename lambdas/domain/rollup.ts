import { TERMINAL_STATUSES, type TerminalStatus } from '../shared/contract/event';
import { parseScope } from '../shared/names/keys';
import type { AggregateSummary } from './aggregate';
import { type Histogram, quantileOf, RELATIVE_ACCURACY } from './histogram';

/**
 * Daily rollups: what a scope (task type, or task type × dimension value) did on one UTC day, computed
 * from that day's time-bucket aggregates (never from executions, so the cost does not grow with the
 * number of events). Counts are exact; percentiles, minima and maxima are read from the mergeable
 * histograms and are within `percentileRelativeError` of a value of the exact rank.
 */

/** Version of the stored rollup document; bump on an incompatible change. */
export const ROLLUP_SCHEMA_VERSION = 1;

/** Error types listed in a rollup, most frequent first. */
const TOP_ERROR_TYPES = 5;

/** Distribution of a duration, in milliseconds. `count`, `sumMs` and `avgMs` are exact. */
export interface DurationStats {
  readonly count: number;
  readonly sumMs: number;
  readonly avgMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

/** Distribution of one custom metric (token usage, confidence…). `count`, `sum`, `avg` are exact. */
export interface MetricStats {
  readonly count: number;
  readonly sum: number;
  readonly avg: number;
  readonly min: number;
  readonly max: number;
  readonly p95: number;
}

/** One error type with its count and a sample message. */
export interface ErrorTypeCount {
  readonly type: string;
  readonly count: number;
  readonly sample: string | null;
}

/** The rollup of one scope on one day. Stored as `RU#<day>` / `<scope>`, permanently. */
export interface Rollup {
  readonly schemaVersion: typeof ROLLUP_SCHEMA_VERSION;
  readonly day: string;
  readonly scope: string;
  readonly taskType: string;
  readonly dimension: { readonly key: string; readonly value: string } | null;
  /** Executions that finished (succeeded, failed or cancelled) on the day. */
  readonly total: number;
  readonly byStatus: Readonly<Record<TerminalStatus, number>>;
  /** succeeded / total; `null` when nothing finished. */
  readonly successRate: number | null;
  /** failed / total; `null` when nothing finished. */
  readonly failureRate: number | null;
  /** Finished executions that needed more than one attempt. */
  readonly retried: number;
  /** Executions whose first start fell on the day. */
  readonly started: number;
  /** Executions created on the day that had started and not finished when the rollup was computed. */
  readonly open: number;
  /** enqueued → first start; `null` when no finished execution had both. */
  readonly wait: DurationStats | null;
  /** Run time of the final attempt; `null` when no finished execution had one. */
  readonly run: DurationStats | null;
  /** Relative error bound of every percentile, minimum and maximum above (0.02 = 2%). */
  readonly percentileRelativeError: number;
  /** Most frequent error types of failed executions, at most `TOP_ERROR_TYPES`. */
  readonly topErrors: readonly ErrorTypeCount[];
  /** Number of distinct error types (the top list may be shorter). */
  readonly errorTypes: number;
  /** Custom metrics of finished executions, by name. */
  readonly metrics: Readonly<Record<string, MetricStats>>;
  /** When the aggregates were read (UTC ISO). A later computation replaces an earlier one. */
  readonly computedAt: string;
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

/** Quantile of a non-empty histogram (callers check the count first). */
const q = (h: Histogram, quantile: number): number => quantileOf(h, quantile) ?? 0;

const durationStats = (d: AggregateSummary['run']): DurationStats | null =>
  d.count <= 0
    ? null
    : {
        count: d.count,
        sumMs: d.sum,
        avgMs: d.sum / d.count,
        minMs: q(d.histogram, 0),
        maxMs: q(d.histogram, 1),
        p50Ms: q(d.histogram, 0.5),
        p95Ms: q(d.histogram, 0.95),
        p99Ms: q(d.histogram, 0.99),
      };

/** The most frequent error types, ties by name, at most `limit`. Pure. */
export const topErrorsOf = (
  errors: AggregateSummary['errors'],
  limit: number = TOP_ERROR_TYPES,
): ErrorTypeCount[] =>
  Object.entries(errors)
    .filter(([, e]) => e.count > 0)
    .sort(([ta, a], [tb, b]) => b.count - a.count || (ta < tb ? -1 : ta > tb ? 1 : 0))
    .slice(0, limit)
    .map(([type, e]) => ({ type, count: e.count, sample: e.sample ?? null }));

/**
 * Compute the rollup of one scope on one day from the summary of that day's aggregate items
 * (`summarizeAggregates`). Pure: the same summary always gives the same rollup, which is what makes
 * recomputing (twice, or after late events) an idempotent upsert. `computedAtMs` is only recorded.
 */
export const computeRollup = (
  scope: string,
  day: string,
  summary: AggregateSummary,
  computedAtMs: number = Date.now(),
): Rollup => {
  const { taskType, dimension } = parseScope(scope);
  const byStatus = Object.fromEntries(
    TERMINAL_STATUSES.map((status) => [status, Math.max(0, summary.byStatus[status] ?? 0)]),
  ) as Record<TerminalStatus, number>;
  const total = Math.max(0, summary.finished);
  const metrics: Record<string, MetricStats> = {};
  for (const [name, m] of Object.entries(summary.metrics)) {
    if (m.count <= 0) continue;
    metrics[name] = {
      count: m.count,
      sum: m.sum,
      avg: m.sum / m.count,
      min: q(m.histogram, 0),
      max: q(m.histogram, 1),
      p95: q(m.histogram, 0.95),
    };
  }
  return {
    schemaVersion: ROLLUP_SCHEMA_VERSION,
    day,
    scope,
    taskType,
    dimension: dimension ?? null,
    total,
    byStatus,
    successRate: ratio(byStatus.succeeded, total),
    failureRate: ratio(byStatus.failed, total),
    retried: Math.max(0, summary.retried),
    started: Math.max(0, summary.started),
    open: Math.max(0, summary.open),
    wait: durationStats(summary.wait),
    run: durationStats(summary.run),
    percentileRelativeError: RELATIVE_ACCURACY,
    topErrors: topErrorsOf(summary.errors),
    errorTypes: Object.values(summary.errors).filter((e) => e.count > 0).length,
    metrics,
    computedAt: new Date(computedAtMs).toISOString(),
  };
};
