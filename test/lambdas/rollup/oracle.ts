import { scopesOf } from '../../../lambdas/domain/aggregate';
import { type Execution, errorTypeOf, mergeEvents } from '../../../lambdas/domain/execution';
import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import { dayOf } from '../../../lambdas/shared/names/keys';

/**
 * The rollup oracle: what a day's rollups must say, computed directly from the generated events
 * (merged per task in memory), without aggregates or histograms.
 */

export interface OracleRollup {
  total: number;
  byStatus: Record<string, number>;
  retried: number;
  started: number;
  open: number;
  wait: number[];
  run: number[];
  errors: Record<string, number>;
  metrics: Record<string, number[]>;
}

/** The executions the events make (order-independent, like the ingest). */
const executionsOf = (events: readonly TaskEvent[]): Execution[] => {
  const byTask = new Map<string, TaskEvent[]>();
  for (const e of events) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e]);
  return [...byTask.values()].map((group) => mergeEvents(undefined, group).execution!);
};

const empty = (): OracleRollup => ({
  total: 0,
  byStatus: { succeeded: 0, failed: 0, cancelled: 0 },
  retried: 0,
  started: 0,
  open: 0,
  wait: [],
  run: [],
  errors: {},
  metrics: {},
});

/** Oracle rollups of one day, by scope. */
export const oracleRollups = (
  events: readonly TaskEvent[],
  day: string,
  dimensionKeys: readonly string[],
): Map<string, OracleRollup> => {
  const out = new Map<string, OracleRollup>();
  const at = (scope: string) => {
    let r = out.get(scope);
    if (r === undefined) {
      r = empty();
      out.set(scope, r);
    }
    return r;
  };
  for (const x of executionsOf(events)) {
    for (const scope of scopesOf(x, dimensionKeys)) {
      if (x.firstStartedAt !== undefined && dayOf(x.firstStartedAt) === day) at(scope).started++;
      if (x.finishedAt === undefined) {
        if (x.firstStartedAt !== undefined && dayOf(x.createdAt) === day) at(scope).open++;
        continue;
      }
      if (dayOf(x.finishedAt) !== day) continue;
      const r = at(scope);
      r.total++;
      r.byStatus[x.status] = (r.byStatus[x.status] ?? 0) + 1;
      if (x.attempt > 1) r.retried++;
      if (x.waitMs !== undefined) r.wait.push(x.waitMs);
      if (x.runMs !== undefined) r.run.push(x.runMs);
      if (x.status === 'failed') r.errors[errorTypeOf(x)] = (r.errors[errorTypeOf(x)] ?? 0) + 1;
      for (const [name, value] of Object.entries(x.metrics))
        r.metrics[name] = [...(r.metrics[name] ?? []), value];
    }
  }
  return out;
};

/** Exact nearest-rank quantile (the definition the histograms approximate). */
export const exactQuantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
};

/** True when an estimate is within the relative bound of the exact value. */
export const withinBound = (estimate: number, exact: number, bound: number): boolean =>
  Math.abs(estimate - exact) <= bound * Math.abs(exact) + 1e-9;
