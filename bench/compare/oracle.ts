import { mergeEvents } from '../../lambdas/domain/execution';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { oracleRollups } from '../../test/lambdas/rollup/oracle';
import { type DailyStats, statsMapKey } from './stats';

/**
 * Checking a baseline against the one oracle the torture suite uses (`oracleRollups` and the
 * per-task `mergeEvents` of bench/torture/compare.ts): its history must hold every distinct event
 * of every task, and its daily stats and rollups the oracle's per-type counts. A baseline that is
 * cheaper because it is wrong must not win the comparison.
 */

/** What a baseline stored, as the check reads it. */
export interface BaselineState {
  /** Stored eventIds by taskId. */
  readonly history: ReadonlyMap<string, ReadonlySet<string>>;
  /** Stats by `statsMapKey(day, taskType)`. */
  readonly stats: ReadonlyMap<string, DailyStats>;
  /** The baseline's rollups of `days`, by `statsMapKey(day, taskType)`. */
  readonly rollups: ReadonlyMap<string, DailyStats>;
}

/** How a baseline departs from the oracle. */
export interface BaselineReport {
  readonly differences: number;
  /** A few differences, for the message that fails the bench. */
  readonly examples: readonly string[];
}

const sameCounts = (a: DailyStats, b: DailyStats): boolean =>
  a.total === b.total &&
  a.retried === b.retried &&
  a.started === b.started &&
  (['succeeded', 'failed', 'cancelled'] as const).every((s) => a.byStatus[s] === b.byStatus[s]);

const show = (s: DailyStats | undefined): string =>
  s === undefined
    ? 'nothing'
    : `total ${s.total} (${s.byStatus.succeeded}/${s.byStatus.failed}/${s.byStatus.cancelled}), retried ${s.retried}, started ${s.started}`;

/** Compare a baseline's stored state with what `events` (distinct, valid) must give. Pure. */
export const checkBaseline = (
  events: readonly TaskEvent[],
  state: BaselineState,
  days: readonly string[],
): BaselineReport => {
  const examples: string[] = [];
  let differences = 0;
  const differ = (what: string) => {
    differences++;
    if (examples.length < 5) examples.push(what);
  };

  const byTask = new Map<string, TaskEvent[]>();
  for (const e of events) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e]);
  for (const [taskId, group] of byTask) {
    const want = mergeEvents(undefined, group).execution!.events.map((e) => e.eventId);
    const have = state.history.get(taskId) ?? new Set<string>();
    const missing = want.filter((id) => !have.has(id)).length;
    if (missing > 0 || have.size !== want.length)
      differ(
        `history of ${taskId}: ${have.size} events stored, ${want.length} expected (${missing} missing)`,
      );
  }
  for (const taskId of state.history.keys())
    if (!byTask.has(taskId)) differ(`history of ${taskId} not expected`);

  for (const [what, stored] of [
    ['stats', state.stats],
    ['rollup', state.rollups],
  ] as const) {
    const expected = new Map<string, DailyStats>();
    for (const day of days)
      for (const [scope, r] of oracleRollups(events, day, []))
        if (r.total > 0 || r.started > 0)
          expected.set(statsMapKey(day, scope), {
            total: r.total,
            byStatus: {
              succeeded: r.byStatus.succeeded ?? 0,
              failed: r.byStatus.failed ?? 0,
              cancelled: r.byStatus.cancelled ?? 0,
            },
            retried: r.retried,
            started: r.started,
          });
    for (const key of new Set([...expected.keys(), ...stored.keys()])) {
      const want = expected.get(key);
      const have = stored.get(key);
      if (want !== undefined && have !== undefined && sameCounts(want, have)) continue;
      if (want === undefined && have !== undefined && have.total === 0 && have.started === 0) continue;
      differ(`${what} ${key.replace('\n', ' ')}: ${show(have)} instead of ${show(want)}`);
    }
  }
  return { differences, examples };
};
