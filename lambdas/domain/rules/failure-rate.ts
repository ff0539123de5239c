import type { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { formatCount, formatDurationMs, formatPercent } from '../../shared/format';
import { topErrorsOf } from '../rollup';
import { alignedStartMs, type BucketAggregate, bucketsOverlapping, summarizeBuckets } from './buckets';
import type { EvaluationBase } from './evaluation';
import {
  ALERT_TOP_ERRORS,
  definedFields,
  defineRule,
  fraction,
  millisOf,
  positiveMs,
  type RuleWords,
  severity,
} from './rule-module';

/**
 * The failure-rate rule, in one module: its settings (schema, defaults, CDK props), its evaluation and
 * how it is described in messages.
 */

/** The rule's name in alert keys, message attributes and documents: part of the public contract, never renamed. */
const RULE_NAME = 'failure-rate';

/** Settings of the rule (`failureRate` in the monitor configuration). */
const failureRateSchema = z
  .object({
    enabled: z.boolean(),
    /** Sliding window the rate is measured over. */
    windowMs: positiveMs,
    /** Fires when failed / finished is above this. */
    threshold: fraction,
    /** Finished executions needed in the window before the rule may fire. */
    minFinished: z.number().int().min(1),
    severity,
  })
  .strict();

type FailureRateSettings = z.infer<typeof failureRateSchema>;

/** On; above 20% failed over the last hour, once 10 finished; critical. */
const FAILURE_RATE_DEFAULTS: FailureRateSettings = {
  enabled: true,
  windowMs: 3_600_000,
  threshold: 0.2,
  minFinished: 10,
  severity: 'critical',
};

interface FailureRateEvaluation extends EvaluationBase {
  readonly rule: typeof RULE_NAME;
  readonly finished: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly retried: number;
  /** failed / finished (0 when nothing finished). */
  readonly rate: number;
  readonly threshold: number;
  readonly windowMs: number;
  readonly minFinished: number;
}

/**
 * Failure rate over a sliding window: failed / finished in the buckets that overlap
 * `[now − windowMs, now)`. Fires when the rate is above the threshold and at least `minFinished`
 * executions finished, so a single failure of a rare task type does not page anyone. Pure.
 */
export const evaluateFailureRate = (
  scope: string,
  buckets: readonly BucketAggregate[],
  settings: FailureRateSettings,
  nowMs: number,
): FailureRateEvaluation => {
  const fromMs = nowMs - settings.windowMs;
  const s = summarizeBuckets(bucketsOverlapping(buckets, fromMs, nowMs));
  const finished = Math.max(0, s.finished);
  const failed = Math.max(0, s.byStatus.failed ?? 0);
  const rate = finished > 0 ? failed / finished : 0;
  return {
    rule: RULE_NAME,
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

/** How the rule reads in messages (subject, email, JSON document, CLI). */
const describeFailureRate = (e: FailureRateEvaluation): RuleWords => ({
  summary: (firing) =>
    `failure rate ${formatPercent(e.rate)} ${firing ? '>' : '<='} ${formatPercent(e.threshold, { exact: true })} (last ${formatDurationMs(e.windowMs)})`,
  measurement: { name: 'failureRate', value: e.rate, threshold: e.threshold, unit: 'ratio', comparison: '>' },
  parameters: { windowMs: e.windowMs, threshold: e.threshold, minFinished: e.minFinished },
  counts: {
    finished: e.finished,
    succeeded: e.succeeded,
    failed: e.failed,
    cancelled: e.cancelled,
    retried: e.retried,
  },
  description: `fires when more than ${formatPercent(e.threshold, { exact: true })} of the runs that finished in the last ${formatDurationMs(e.windowMs)} failed, once at least ${e.minFinished} finished`,
  countsLine: `${formatCount(e.finished)} finished: ${formatCount(e.succeeded)} succeeded, ${formatCount(e.failed)} failed (${formatPercent(e.rate)}), ${formatCount(e.cancelled)} cancelled; ${formatCount(e.retried)} needed retries`,
  historyStatus: 'failed',
  taskIdsTitle: 'Example failed tasks',
  taskIdLines: e.taskIds,
});

/** Failure rate over a sliding window (CDK props, `monitor.failureRate`). */
export interface FailureRateProps {
  /** @default true */
  readonly enabled?: boolean;
  /** @default Duration.hours(1) */
  readonly window?: Duration;
  /** Fires above this share of failed runs (0.2 = 20%). @default 0.2 */
  readonly threshold?: number;
  /** Finished runs in the window before it may fire. @default 10 */
  readonly minFinished?: number;
  /** @default 'critical' */
  readonly severity?: FailureRateSettings['severity'];
}

/** The rule module (see `registry.ts`). */
export const failureRateRule = defineRule({
  key: 'failureRate',
  name: RULE_NAME,
  schema: failureRateSchema,
  defaults: FAILURE_RATE_DEFAULTS,
  lookbackMs: (s: FailureRateSettings) => s.windowMs,
  evaluate: (input) =>
    input.settings.enabled || input.active
      ? evaluateFailureRate(input.scope, input.buckets, input.settings, input.nowMs)
      : undefined,
  isExample: (_e, run) => run.status === 'failed',
  describe: describeFailureRate,
  settingsFromProps: (p: FailureRateProps) =>
    definedFields({
      enabled: p.enabled,
      windowMs: millisOf(p.window),
      threshold: p.threshold,
      minFinished: p.minFinished,
      severity: p.severity,
    }),
});
