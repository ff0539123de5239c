import { AGG_FIELD } from '../aggregate';
import { topErrorsOf } from '../rollup';
import {
  alignedStartMs,
  type BucketAggregate,
  bucketsOverlapping,
  counterOf,
  summarizeBuckets,
} from './buckets';
import type { RuleSettings } from './config';
import type { ConsecutiveFailuresEvaluation } from './evaluation';
import { RULE } from './rule';
import { ALERT_TOP_ERRORS } from './rule-module';

/**
 * Consecutive failures, from the aggregates: walking the buckets newest first, every failure counts
 * until the first bucket that holds a success. Aggregates do not order executions inside a 5-minute
 * bucket, so failures that finished in the same bucket as the last success are not counted: the
 * streak is a lower bound that is exact whenever a success and the failures after it fall in
 * different buckets (the case this rule is for: task types that run a few times an hour or less).
 * Cancelled runs neither break nor extend a streak. Pure.
 */
export const evaluateConsecutiveFailures = (
  scope: string,
  buckets: readonly BucketAggregate[],
  settings: RuleSettings['consecutiveFailures'],
  nowMs: number,
): ConsecutiveFailuresEvaluation => {
  const fromMs = nowMs - settings.lookbackMs;
  const inWindow = bucketsOverlapping(buckets, fromMs, nowMs).sort((a, b) => b.startMs - a.startMs);
  let streak = 0;
  let lastSuccessMs: number | null = null;
  const streakBuckets: BucketAggregate[] = [];
  for (const bucket of inWindow) {
    if (counterOf(bucket, AGG_FIELD.statusCount('succeeded')) > 0) {
      lastSuccessMs = bucket.startMs;
      break;
    }
    const failed = counterOf(bucket, AGG_FIELD.statusCount('failed'));
    if (failed > 0) {
      streak += failed;
      streakBuckets.push(bucket);
    }
  }
  return {
    rule: RULE.consecutiveFailures,
    scope,
    severity: settings.severity,
    firing: settings.enabled && streak >= settings.count,
    evaluatedAtMs: nowMs,
    windowStartMs: lastSuccessMs ?? alignedStartMs(fromMs),
    windowEndMs: nowMs,
    taskIds: [],
    topErrors: topErrorsOf(summarizeBuckets(streakBuckets).errors, ALERT_TOP_ERRORS),
    streak,
    count: settings.count,
    lookbackMs: settings.lookbackMs,
    lastSuccessMs,
  };
};
