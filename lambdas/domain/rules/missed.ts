import { AGG_FIELD } from '../aggregate';
import { alignedStartMs, type BucketAggregate, bucketsOverlapping, counterOf } from './buckets';
import type { MissedEvaluation } from './evaluation';
import type { Severity } from './rule';
import { RULE } from './rule';

/**
 * Missed runs: a task type declared to start every `everyMs` fires when no run started in the last
 * `everyMs + graceMs`, read from the `st` (started) counters. The window is bucket-aligned, so it may
 * be up to one bucket (5 minutes) longer than declared, never shorter. Pure.
 */
export const evaluateMissed = (
  scope: string,
  buckets: readonly BucketAggregate[],
  cadence: { readonly everyMs: number; readonly graceMs: number; readonly severity: Severity },
  nowMs: number,
): MissedEvaluation => {
  const fromMs = nowMs - cadence.everyMs - cadence.graceMs;
  const started = bucketsOverlapping(buckets, fromMs, nowMs).reduce(
    (sum, b) => sum + Math.max(0, counterOf(b, AGG_FIELD.started)),
    0,
  );
  const withStarts = buckets.filter((b) => b.startMs < nowMs && counterOf(b, AGG_FIELD.started) > 0);
  const lastStartMs = withStarts.length === 0 ? null : Math.max(...withStarts.map((b) => b.startMs));
  return {
    rule: RULE.missed,
    scope,
    severity: cadence.severity,
    firing: started === 0,
    evaluatedAtMs: nowMs,
    windowStartMs: alignedStartMs(fromMs),
    windowEndMs: nowMs,
    taskIds: [],
    topErrors: [],
    everyMs: cadence.everyMs,
    graceMs: cadence.graceMs,
    started,
    lastStartMs,
  };
};
