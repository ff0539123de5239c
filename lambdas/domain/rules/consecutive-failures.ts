import type { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { formatCount, formatDurationMs, formatUtc } from '../../shared/format';
import { AGG_FIELD } from '../aggregate';
import { topErrorsOf } from '../rollup';
import {
  alignedStartMs,
  type BucketAggregate,
  bucketsOverlapping,
  counterOf,
  summarizeBuckets,
} from './buckets';
import type { EvaluationBase } from './evaluation';
import {
  ALERT_TOP_ERRORS,
  definedFields,
  defineRule,
  millisOf,
  positiveMs,
  type RuleWords,
  severity,
} from './rule-module';

/**
 * The consecutive-failures rule, in one module: its settings (schema, defaults, CDK props), its
 * evaluation and how it is described in messages.
 */

/** The rule's name in alert keys, message attributes and documents: part of the public contract, never renamed. */
const RULE_NAME = 'consecutive-failures';

/** Settings of the rule (`consecutiveFailures` in the monitor configuration). */
const consecutiveFailuresSchema = z
  .object({
    enabled: z.boolean(),
    /** Fires when at least this many executions failed in a row. */
    count: z.number().int().min(1),
    /** How far back the streak is looked for. */
    lookbackMs: positiveMs,
    severity,
  })
  .strict();

type ConsecutiveFailuresSettings = z.infer<typeof consecutiveFailuresSchema>;

/** Off; 3 failures in a row within a day; critical. */
const CONSECUTIVE_FAILURES_DEFAULTS: ConsecutiveFailuresSettings = {
  enabled: false,
  count: 3,
  lookbackMs: 86_400_000,
  severity: 'critical',
};

interface ConsecutiveFailuresEvaluation extends EvaluationBase {
  readonly rule: typeof RULE_NAME;
  /** Failures finished after the last bucket that had a success. */
  readonly streak: number;
  readonly count: number;
  readonly lookbackMs: number;
  /** Start of the newest bucket with a success in the lookback, if any. */
  readonly lastSuccessMs: number | null;
}

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
  settings: ConsecutiveFailuresSettings,
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
    rule: RULE_NAME,
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

/** How the rule reads in messages (subject, email, JSON document, CLI). */
const describeConsecutiveFailures = (e: ConsecutiveFailuresEvaluation): RuleWords => ({
  summary: (firing) =>
    firing
      ? `${e.streak} consecutive failures (>= ${e.count})`
      : `consecutive failures ended (${e.streak} < ${e.count})`,
  measurement: {
    name: 'consecutiveFailures',
    value: e.streak,
    threshold: e.count,
    unit: 'count',
    comparison: '>=',
  },
  parameters: { count: e.count, lookbackMs: e.lookbackMs },
  counts: { streak: e.streak },
  description: `fires when ${e.count} or more runs failed in a row since the last success (looking back ${formatDurationMs(e.lookbackMs)})`,
  countsLine: `${formatCount(e.streak)} failures in a row${e.lastSuccessMs === null ? ` (no success in the last ${formatDurationMs(e.lookbackMs)})` : ` since the last success around ${formatUtc(e.lastSuccessMs)}`}`,
  historyStatus: 'failed',
  taskIdsTitle: 'Example failed tasks',
  taskIdLines: e.taskIds,
});

/** Failures in a row, for task types where a rate says too little (CDK props, `monitor.consecutiveFailures`). */
export interface ConsecutiveFailuresProps {
  /** @default false */
  readonly enabled?: boolean;
  /** @default 3 */
  readonly count?: number;
  /** @default Duration.days(1) */
  readonly lookback?: Duration;
  /** @default 'critical' */
  readonly severity?: ConsecutiveFailuresSettings['severity'];
}

/** The rule module (see `registry.ts`). */
export const consecutiveFailuresRule = defineRule({
  key: 'consecutiveFailures',
  name: RULE_NAME,
  schema: consecutiveFailuresSchema,
  defaults: CONSECUTIVE_FAILURES_DEFAULTS,
  lookbackMs: (s: ConsecutiveFailuresSettings) => (s.enabled ? s.lookbackMs : 0),
  evaluate: (input) =>
    input.settings.enabled || input.active
      ? evaluateConsecutiveFailures(input.scope, input.buckets, input.settings, input.nowMs)
      : undefined,
  isExample: (_e, run) => run.status === 'failed',
  describe: describeConsecutiveFailures,
  settingsFromProps: (p: ConsecutiveFailuresProps) =>
    definedFields({
      enabled: p.enabled,
      count: p.count,
      lookbackMs: millisOf(p.lookback),
      severity: p.severity,
    }),
});
