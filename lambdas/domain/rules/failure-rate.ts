import { topErrorsOf } from '../rollup';
import { alignedStartMs, type BucketAggregate, bucketsOverlapping, summarizeBuckets } from './buckets';
import type { RuleSettings } from './config';
import type { FailureRateEvaluation } from './evaluation';
import { RULE } from './rule';

/** Error types shown in an alert. */
export const ALERT_TOP_ERRORS = 3;

/**
 * Failure rate over a sliding window: failed / finished in the buckets that overlap
 * `[now − windowMs, now)`. Fires when the rate is above the threshold and at least `minFinished`
 * executions finished, so a single failure of a rare task type does not page anyone. Pure.
 */
export const evaluateFailureRate = (
  scope: string,
  buckets: readonly BucketAggregate[],
  settings: RuleSettings['failureRate'],
  nowMs: number,
): FailureRateEvaluation => {
  const fromMs = nowMs - settings.windowMs;
  const s = summarizeBuckets(bucketsOverlapping(buckets, fromMs, nowMs));
  const finished = Math.max(0, s.finished);
  const failed = Math.max(0, s.byStatus.failed ?? 0);
  const rate = finished > 0 ? failed / finished : 0;
  return {
    rule: RULE.failureRate,
    scope,
    severity: settings.severity,
    firing: settings.enabled && finished >= settings.minFinished && rate > settings.threshold,
    evaluatedAtMs: nowMs,
    windowStartMs: alignedStartMs(fromMs),
    windowEndMs: nowMs,
    taskIds: [],
    topErrors: topErrorsOf(s.errors, ALERT_TOP_ERRORS),
    finished,
    succeeded: Math.max(0, s.byStatus.succeeded ?? 0),
    failed,
    cancelled: Math.max(0, s.byStatus.cancelled ?? 0),
    retried: Math.max(0, s.retried),
    rate,
    threshold: settings.threshold,
    windowMs: settings.windowMs,
    minFinished: settings.minFinished,
  };
};
