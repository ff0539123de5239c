import { AGG_FIELD } from '../aggregate';
import {
  alignedStartMs,
  type BucketAggregate,
  bucketsOverlapping,
  counterOf,
  rangesWithCounter,
} from './buckets';
import type { RuleSettings } from './config';
import type { StuckEvaluation, StuckRun } from './evaluation';
import { RULE } from './rule';
import { attemptStartOf, inScope, isStuck, type RunSummary } from './run-summary';

/**
 * Stuck runs, in two steps so that reads stay proportional to what is open, not to traffic:
 * 1. `stuckCandidateRanges`: from the aggregates' `open` counters (started, not finished, counted in the
 *    bucket of creation), the creation-time ranges that may hold a stuck run: buckets with `open > 0`
 *    created between `now − lookbackMs` and `now − timeoutMs` (a run cannot have started before it was
 *    created, so younger buckets cannot hold one).
 * 2. `evaluateStuck`: given the runs created in those ranges (read through the byType index), every run
 *    that started `timeoutMs` ago or more without a terminal event, each on its own.
 */

/** A creation-time range `[fromMs, toMs)` to look up runs in. */
export interface TimeRange {
  readonly fromMs: number;
  readonly toMs: number;
}

/** Ranges of adjacent candidate buckets, oldest first. Pure. */
export const stuckCandidateRanges = (
  buckets: readonly BucketAggregate[],
  settings: RuleSettings['stuck'],
  nowMs: number,
): TimeRange[] => {
  if (!settings.enabled) return [];
  return rangesWithCounter(buckets, AGG_FIELD.open, nowMs - settings.lookbackMs, nowMs - settings.timeoutMs);
};

/**
 * Runs started and not finished (the `open` counters) created within the stuck look-back: the
 * monitor's `Running` gauge. Pure.
 */
export const runningOf = (
  buckets: readonly BucketAggregate[],
  settings: RuleSettings['stuck'],
  nowMs: number,
): number =>
  bucketsOverlapping(buckets, nowMs - settings.lookbackMs, nowMs + 1).reduce(
    (sum, b) => sum + counterOf(b, AGG_FIELD.open),
    0,
  );

/** Evaluate stuck runs of a scope from the runs created in its candidate ranges. Pure. */
export const evaluateStuck = (
  scope: string,
  runs: readonly RunSummary[],
  settings: RuleSettings['stuck'],
  nowMs: number,
): StuckEvaluation => {
  const distinct = [...new Map(runs.map((run) => [run.taskId, run])).values()];
  const stuck: StuckRun[] = distinct
    .filter((run) => inScope(run, scope) && isStuck(run, nowMs, settings.timeoutMs))
    .map((run) => {
      const startedAt = attemptStartOf(run)!;
      return {
        taskId: run.taskId,
        status: run.status,
        attempt: run.attempt,
        startedAt,
        stuckForMs: nowMs - Date.parse(startedAt),
      };
    })
    .sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : 0));
  const oldest = stuck[0];
  return {
    rule: RULE.stuck,
    scope,
    severity: settings.severity,
    firing: settings.enabled && stuck.length > 0,
    evaluatedAtMs: nowMs,
    windowStartMs:
      oldest === undefined ? alignedStartMs(nowMs - settings.lookbackMs) : Date.parse(oldest.startedAt),
    windowEndMs: nowMs,
    taskIds: stuck.map((r) => r.taskId),
    topErrors: [],
    runs: stuck,
    timeoutMs: settings.timeoutMs,
  };
};
