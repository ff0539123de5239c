import { summarizeAggregates } from '../domain/aggregate';
import { computeRollup } from '../domain/rollup';
import type { AggregateReader } from '../shared/store/aggregate-reader';
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
}

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
  const now = deps.now ?? Date.now;
  const days: RollupDayOutcome[] = [];
  for (const day of daysBetween(from, to)) {
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
  return { days };
};
