import { summarizeAggregates } from '../domain/aggregate';
import { computeRollup } from '../domain/rollup';
import type { AggregateReader } from '../shared/store/aggregate-reader';
import type { DirtyDayStore } from '../shared/store/dirty-day-store';
import type { RollupStore } from '../shared/store/rollup-store';
import { dayStartMs, daysBetween } from '../shared/time';

/**
 * The rollup use case: for each day of a range and each scope active that day (scope registry), read
 * the day's aggregate items, compute the rollup and upsert it. Reads are O(days × scopes × buckets);
 * executions are never read. Recomputing a day (a second run, a run after late events, a backfill)
 * replaces its rollups with the current truth.
 */

export interface RollupDeps {
  readonly aggregates: AggregateReader;
  readonly rollups: RollupStore;
  readonly now?: () => number;
  /** Scopes computed at once. @default 8 */
  readonly concurrency?: number;
}

/** What one day's computation did. */
export interface RollupDayOutcome {
  readonly day: string;
  /** Scopes in the registry for the day. */
  readonly scopes: number;
  readonly written: number;
  /** Rollups left alone because one computed later was already stored. */
  readonly superseded: number;
  /** Scopes listed in the registry whose aggregate items are gone (expired): their rollups are kept. */
  readonly empty: number;
}

export interface RollupOutcome {
  readonly days: readonly RollupDayOutcome[];
  /** Scheduled runs only: dirty days recomputed, and how many of their marks were removed. */
  readonly dirty?: { readonly days: readonly string[]; readonly cleared: number };
}

/**
 * Most dirty days one scheduled run recomputes besides its range (the oldest first). Events are
 * accepted up to 14 days late, so this covers a normal backlog in one run; the rest stay dirty for
 * the next run.
 */
export const MAX_DIRTY_DAYS_PER_RUN = 15;

/** Raised for a range that is not two days `from <= to`. */
export class RollupRangeError extends RangeError {
  override readonly name = 'RollupRangeError';
}

const runLimited = async <T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
};

/** Compute and store the rollups of every day from `from` to `to` (UTC `YYYY-MM-DD`, inclusive). */
export const runRollup = async (deps: RollupDeps, from: string, to: string): Promise<RollupOutcome> => {
  let fromMs: number;
  let toMs: number;
  try {
    fromMs = dayStartMs(from);
    toMs = dayStartMs(to);
  } catch (error) {
    throw new RollupRangeError((error as Error).message);
  }
  if (fromMs > toMs) throw new RollupRangeError(`rollup range starts after it ends: ${from} > ${to}`);
  return { days: await rollupDays(deps, daysBetween(from, to)) };
};

/**
 * A scheduled run: the days `from`..`to` plus up to `MAX_DIRTY_DAYS_PER_RUN` dirty days (days whose
 * aggregates changed after they ended), then remove the marks it read, each only if unchanged since.
 * Marks are removed after every day was stored, so a failed run leaves them for the next one.
 */
export const runScheduledRollup = async (
  deps: RollupDeps & { readonly dirtyDays: DirtyDayStore },
  from: string,
  to: string,
): Promise<RollupOutcome> => {
  const marks = await deps.dirtyDays.list(MAX_DIRTY_DAYS_PER_RUN);
  const range = daysBetween(from, to);
  const days = [...new Set([...range, ...marks.map((m) => m.day)])].sort();
  const outcome = await rollupDays(deps, days);
  let cleared = 0;
  for (const mark of marks) if ((await deps.dirtyDays.clear(mark)) === 'cleared') cleared++;
  return { days: outcome, dirty: { days: marks.map((m) => m.day), cleared } };
};

const rollupDays = async (deps: RollupDeps, dayList: readonly string[]): Promise<RollupDayOutcome[]> => {
  const now = deps.now ?? Date.now;
  const days: RollupDayOutcome[] = [];
  for (const day of dayList) {
    const scopes = await deps.aggregates.listScopes(day);
    const computedAtMs = now();
    let written = 0;
    let superseded = 0;
    let empty = 0;
    await runLimited(scopes, deps.concurrency ?? 8, async (scope) => {
      const dayMs = dayStartMs(day);
      const buckets = await deps.aggregates.readRange(scope, dayMs, dayMs + 86_400_000);
      if (buckets.length === 0) {
        empty++;
        return;
      }
      const rollup = computeRollup(
        scope,
        day,
        summarizeAggregates(buckets.map((b) => b.fields)),
        computedAtMs,
      );
      if ((await deps.rollups.putRollup(rollup)) === 'written') written++;
      else superseded++;
    });
    days.push({ day, scopes: scopes.length, written, superseded, empty });
  }
  return days;
};
