import { countAbove, quantileOf } from '../histogram';
import { alignedStartMs, type BucketAggregate, bucketsOverlapping, summarizeBuckets } from './buckets';
import type { RuleSettings } from './config';
import type { SlowEvaluation } from './evaluation';
import { RULE } from './rule';

/**
 * Slow runs: finished runs in the window whose run time is above the threshold, counted from the
 * run-time histograms (`countAbove`, exact up to the histogram's 2% bin width around the threshold).
 * The rule fires when the slow share is above `alertShare` (default 10% of runs over 5 s) with at
 * least `minFinished` measured runs; the notification names example slow tasks. `alertShare: null`
 * turns the alert off and leaves the count in the monitor's log (a warning per scope). Pure.
 */
export const evaluateSlow = (
  scope: string,
  buckets: readonly BucketAggregate[],
  settings: RuleSettings['slow'],
  nowMs: number,
): SlowEvaluation => {
  const fromMs = nowMs - settings.windowMs;
  const s = summarizeBuckets(bucketsOverlapping(buckets, fromMs, nowMs));
  const measured = Math.max(0, s.run.count);
  const slow = Math.min(measured, countAbove(s.run.histogram, settings.thresholdMs));
  const share = measured > 0 ? slow / measured : 0;
  return {
    rule: RULE.slow,
    scope,
    severity: settings.severity,
    firing:
      settings.enabled &&
      settings.alertShare !== null &&
      measured >= settings.minFinished &&
      share > settings.alertShare,
    evaluatedAtMs: nowMs,
    windowStartMs: alignedStartMs(fromMs),
    windowEndMs: nowMs,
    taskIds: [],
    topErrors: [],
    slow,
    measured,
    share,
    thresholdMs: settings.thresholdMs,
    alertShare: settings.alertShare,
    windowMs: settings.windowMs,
    minFinished: settings.minFinished,
    p95Ms: quantileOf(s.run.histogram, 0.95) ?? null,
  };
};
