import { summarizeAggregates } from '../../domain/aggregate';
import { RELATIVE_ACCURACY } from '../../domain/histogram';
import { computeRollup, type Rollup } from '../../domain/rollup';
import { parseScope } from '../names/keys';
import type { AggregateReader } from '../store/aggregate-reader';
import type { RollupStore } from '../store/rollup-store';
import { dayStartMs } from '../time';

/**
 * `stats`: the daily rollups of a range of days, per task type (or per value of one configured
 * dimension), with totals over the range. Counts and rates over the range are exact sums of the daily
 * counts; percentiles cannot be added, so the range shows the worst day's p95 next to the exact mean.
 */

/** One scope on one day. */
interface DailyStats {
  readonly day: string;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly failureRate: number | null;
  readonly retried: number;
  readonly runP50Ms: number | null;
  readonly runP95Ms: number | null;
}

/** One scope over the range. */
export interface ScopeStats {
  readonly scope: string;
  readonly taskType: string;
  readonly dimension: { readonly key: string; readonly value: string } | null;
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  /** failed / total over the range; `null` when nothing finished. */
  readonly failureRate: number | null;
  readonly retried: number;
  /** Finished executions with a run time. */
  readonly runCount: number;
  /** Exact mean run time over the range. */
  readonly runAvgMs: number | null;
  /** Highest daily p95 run time in the range. */
  readonly runP95MsWorstDay: number | null;
  /** Days of the range with a rollup, oldest first. */
  readonly daily: readonly DailyStats[];
}

/** What `stats --json` prints. */
export interface StatsReport {
  readonly from: string;
  readonly to: string;
  readonly days: readonly string[];
  /** Days without any rollup: nothing finished, or not rolled up yet (`taskpulse backfill`). */
  readonly daysWithoutRollups: readonly string[];
  /** Relative error bound of every percentile. */
  readonly percentileRelativeError: number;
  readonly scopes: readonly ScopeStats[];
}

/** Which scopes to show. */
export interface StatsFilter {
  /** Only this task type. @default every type */
  readonly taskType?: string | null;
  /** Per value of this configured dimension instead of per task type. @default per task type */
  readonly dimension?: string | null;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

const maxOf = (values: readonly (number | null)[]): number | null => {
  const present = values.filter((v): v is number => v !== null);
  return present.length === 0 ? null : Math.max(...present);
};

const inFilter = (
  r: { readonly taskType: string; readonly dimension: { readonly key: string } | null },
  filter: StatsFilter,
): boolean =>
  (filter.taskType == null || r.taskType === filter.taskType) &&
  (filter.dimension == null ? r.dimension === null : r.dimension?.key === filter.dimension);

/** Sum daily rollups into the report of a range. Pure. */
export const summarizeRollups = (
  rollups: readonly Rollup[],
  days: readonly string[],
  filter: StatsFilter = {},
): StatsReport => {
  const byScope = new Map<string, Rollup[]>();
  for (const r of rollups) {
    if (!days.includes(r.day) || !inFilter(r, filter)) continue;
    byScope.set(r.scope, [...(byScope.get(r.scope) ?? []), r]);
  }
  const daysWithRollups = new Set(rollups.map((r) => r.day));
  const scopes = [...byScope.values()].map((list): ScopeStats => {
    const daily = [...list]
      .sort((a, b) => (a.day < b.day ? -1 : 1))
      .map(
        (r): DailyStats => ({
          day: r.day,
          total: r.total,
          succeeded: r.byStatus.succeeded,
          failed: r.byStatus.failed,
          cancelled: r.byStatus.cancelled,
          failureRate: r.failureRate,
          retried: r.retried,
          runP50Ms: r.run?.p50Ms ?? null,
          runP95Ms: r.run?.p95Ms ?? null,
        }),
      );
    const first = list[0]!;
    const total = sum(daily.map((d) => d.total));
    const failed = sum(daily.map((d) => d.failed));
    const runCount = sum(list.map((r) => r.run?.count ?? 0));
    const runSum = sum(list.map((r) => r.run?.sumMs ?? 0));
    return {
      scope: first.scope,
      taskType: first.taskType,
      dimension: first.dimension,
      total,
      succeeded: sum(daily.map((d) => d.succeeded)),
      failed,
      cancelled: sum(daily.map((d) => d.cancelled)),
      failureRate: total > 0 ? failed / total : null,
      retried: sum(daily.map((d) => d.retried)),
      runCount,
      runAvgMs: runCount > 0 ? runSum / runCount : null,
      runP95MsWorstDay: maxOf(daily.map((d) => d.runP95Ms)),
      daily,
    };
  });
  scopes.sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
  return {
    from: days[0] ?? '',
    to: days[days.length - 1] ?? '',
    days,
    daysWithoutRollups: days.filter((d) => !daysWithRollups.has(d)),
    percentileRelativeError: rollups[0]?.percentileRelativeError ?? RELATIVE_ACCURACY,
    scopes,
  };
};

/** Read the rollups of some days (one query per day). */
export const readRollups = async (store: RollupStore, days: readonly string[]): Promise<Rollup[]> =>
  (await Promise.all(days.map((day) => store.listRollups(day)))).flat();

/**
 * Today's figures of the scopes a filter selects, computed from the day's aggregates up to `nowMs`
 * the way the nightly rollup will (`computeRollup`), so today reads like a complete day. Reads the
 * scope registry of the day and O(buckets so far) aggregate items per selected scope.
 */
export const readLiveRollups = async (
  reader: AggregateReader,
  day: string,
  nowMs: number,
  filter: StatsFilter = {},
): Promise<Rollup[]> => {
  const scopes = (await reader.listScopes(day)).filter((scope) => {
    const { taskType, dimension } = parseScope(scope);
    return inFilter({ taskType, dimension: dimension ?? null }, filter);
  });
  const fromMs = dayStartMs(day);
  const live = await Promise.all(
    scopes.map(async (scope) => {
      const buckets = await reader.readRange(scope, fromMs, Math.min(nowMs, fromMs + 86_400_000));
      return buckets.length === 0
        ? undefined
        : computeRollup(scope, day, summarizeAggregates(buckets.map((b) => b.fields)), nowMs);
    }),
  );
  return live.filter((r): r is Rollup => r !== undefined);
};
