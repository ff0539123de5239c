import type { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { formatCount, formatDurationMs, formatPercent } from '../../shared/format';
import { countAbove, quantileOf } from '../histogram';
import { alignedStartMs, type BucketAggregate, bucketsOverlapping, summarizeBuckets } from './buckets';
import type { EvaluationBase } from './evaluation';
import {
  definedFields,
  defineRule,
  fraction,
  millisOf,
  positiveMs,
  type RuleWords,
  severity,
} from './rule-module';

/**
 * The slow rule, in one module: its settings (schema, defaults, CDK props), its evaluation and how it
 * is described in messages.
 */

/** The rule's name in alert keys, message attributes and documents: part of the public contract, never renamed. */
const RULE_NAME = 'slow';

/** Settings of the rule (`slow` in the monitor configuration). */
const slowSchema = z
  .object({
    enabled: z.boolean(),
    /** A run is slow when its run time is above this. */
    thresholdMs: positiveMs,
    windowMs: positiveMs,
    /** Alert when slow / measured is above this; `null`: only count and log. */
    alertShare: fraction.nullable(),
    /** Runs with a run time needed in the window before the share may fire. */
    minFinished: z.number().int().min(1),
    severity,
  })
  .strict();

type SlowSettings = z.infer<typeof slowSchema>;

/** On; more than 10% of the last hour's runs over 5 s, once 10 were measured; a warning. */
export const SLOW_DEFAULTS: SlowSettings = {
  enabled: true,
  thresholdMs: 5_000,
  windowMs: 3_600_000,
  alertShare: 0.1,
  minFinished: 10,
  severity: 'warning',
};

interface SlowEvaluation extends EvaluationBase {
  readonly rule: typeof RULE_NAME;
  /** Runs above the threshold in the window. */
  readonly slow: number;
  /** Runs with a run time in the window. */
  readonly measured: number;
  /** slow / measured (0 when nothing was measured). */
  readonly share: number;
  readonly thresholdMs: number;
  /** Share above which it fires; `null`: never fires, only counted and logged. */
  readonly alertShare: number | null;
  readonly windowMs: number;
  readonly minFinished: number;
  readonly p95Ms: number | null;
}

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
  settings: SlowSettings,
  nowMs: number,
): SlowEvaluation => {
  const fromMs = nowMs - settings.windowMs;
  const s = summarizeBuckets(bucketsOverlapping(buckets, fromMs, nowMs));
  const measured = Math.max(0, s.run.count);
  const slow = Math.min(measured, countAbove(s.run.histogram, settings.thresholdMs));
  const share = measured > 0 ? slow / measured : 0;
  return {
    rule: RULE_NAME,
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

/** How the rule reads in messages (subject, email, JSON document, CLI). */
const describeSlow = (e: SlowEvaluation): RuleWords => ({
  summary: (firing) =>
    `slow runs ${formatPercent(e.share)} ${firing ? '>' : '<='} ${formatPercent(e.alertShare ?? 0, { exact: true })} over ${formatDurationMs(e.thresholdMs)} (last ${formatDurationMs(e.windowMs)})`,
  measurement: { name: 'slowShare', value: e.share, threshold: e.alertShare, unit: 'ratio', comparison: '>' },
  parameters: {
    thresholdMs: e.thresholdMs,
    alertShare: e.alertShare,
    windowMs: e.windowMs,
    minFinished: e.minFinished,
  },
  counts: { slow: e.slow, measured: e.measured },
  description: `fires when more than ${formatPercent(e.alertShare ?? 0, { exact: true })} of the runs in the last ${formatDurationMs(e.windowMs)} took longer than ${formatDurationMs(e.thresholdMs)}, once at least ${e.minFinished} were measured`,
  countsLine: `${formatCount(e.slow)} of ${formatCount(e.measured)} runs took longer than ${formatDurationMs(e.thresholdMs)} (${formatPercent(e.share)})${e.p95Ms === null ? '' : `; p95 run time ${formatDurationMs(e.p95Ms)}`}`,
  historyStatus: undefined,
  taskIdsTitle: 'Example slow runs',
  taskIdLines: e.taskIds,
});

/** Slow runs: an alert when the share of runs over the threshold is above `alertShare` (CDK props, `monitor.slow`). */
export interface SlowProps {
  /** @default true */
  readonly enabled?: boolean;
  /** Run time above which a run is slow. @default Duration.millis(5000) */
  readonly threshold?: Duration;
  /** @default Duration.hours(1) */
  readonly window?: Duration;
  /** Alert when the slow share is above this (0.2 = 20%); `null`: never alert, only log. @default 0.1 */
  readonly alertShare?: number | null;
  /** @default 10 */
  readonly minFinished?: number;
  /** @default 'warning' */
  readonly severity?: SlowSettings['severity'];
}

/** The rule module (see `registry.ts`). */
export const slowRule = defineRule({
  key: 'slow',
  name: RULE_NAME,
  schema: slowSchema,
  defaults: SLOW_DEFAULTS,
  lookbackMs: (s: SlowSettings) => s.windowMs,
  evaluate: (input) =>
    input.settings.enabled || input.active
      ? evaluateSlow(input.scope, input.buckets, input.settings, input.nowMs)
      : undefined,
  isExample: (e, run) => run.runMs !== undefined && run.runMs > e.thresholdMs,
  // Slow runs are logged even when the share does not fire (or `alertShare` is null).
  logLine: (e) =>
    e.slow > 0
      ? {
          message: 'slow runs',
          extra: { slow: e.slow, measured: e.measured, thresholdMs: e.thresholdMs, windowMs: e.windowMs },
        }
      : undefined,
  describe: describeSlow,
  settingsFromProps: (p: SlowProps) =>
    definedFields({
      enabled: p.enabled,
      thresholdMs: millisOf(p.threshold),
      windowMs: millisOf(p.window),
      alertShare: p.alertShare,
      minFinished: p.minFinished,
      severity: p.severity,
    }),
});
