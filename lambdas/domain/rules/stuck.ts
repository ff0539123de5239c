import type { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import type { TaskStatus } from '../../shared/contract/event';
import { formatCount, formatDurationMs, formatUtc } from '../../shared/format';
import { AGG_FIELD } from '../aggregate';
import {
  alignedStartMs,
  type BucketAggregate,
  bucketsOverlapping,
  counterOf,
  rangesWithCounter,
} from './buckets';
import type { EvaluationBase } from './evaluation';
import {
  definedFields,
  defineRule,
  millisOf,
  positiveMs,
  type RuleWords,
  severity,
  type TimeRange,
} from './rule-module';
import { attemptStartOf, inScope, isStuck, type RunSummary } from './run-summary';

/**
 * The stuck rule, in one module: its settings (schema, defaults, CDK props), its evaluation and how it
 * is described in messages.
 *
 * Stuck runs, in two steps so that reads stay proportional to what is open, not to traffic:
 * 1. `stuckCandidateRanges`: from the aggregates' `open` counters (started, not finished, counted in the
 *    bucket of creation), the creation-time ranges that may hold a stuck run: buckets with `open > 0`
 *    created between `now − lookbackMs` and `now − timeoutMs` (a run cannot have started before it was
 *    created, so younger buckets cannot hold one).
 * 2. `evaluateStuck`: given the runs created in those ranges (read through the byType index), every run
 *    that started `timeoutMs` ago or more without a terminal event, each on its own.
 */

/** The rule's name in alert keys, message attributes and documents: part of the public contract, never renamed. */
const RULE_NAME = 'stuck';

/** Settings of the rule (`stuck` in the monitor configuration). */
const stuckSchema = z
  .object({
    enabled: z.boolean(),
    /** A run is stuck when it started this long ago without a terminal event. */
    timeoutMs: positiveMs,
    /** Runs created longer ago than this are no longer looked at. */
    lookbackMs: positiveMs,
    severity,
  })
  .strict();

type StuckSettings = z.infer<typeof stuckSchema>;

/** On; started an hour ago without a terminal event, looking back one day; a warning. */
const STUCK_DEFAULTS: StuckSettings = {
  enabled: true,
  timeoutMs: 3_600_000,
  lookbackMs: 86_400_000,
  severity: 'warning',
};

/** One stuck run. */
interface StuckRun {
  readonly taskId: string;
  readonly status: TaskStatus;
  readonly attempt: number;
  readonly startedAt: string;
  readonly stuckForMs: number;
}

interface StuckEvaluation extends EvaluationBase {
  readonly rule: typeof RULE_NAME;
  /** Every stuck run, oldest start first. */
  readonly runs: readonly StuckRun[];
  readonly timeoutMs: number;
}

/** Ranges of adjacent candidate buckets, oldest first. Pure. */
export const stuckCandidateRanges = (
  buckets: readonly BucketAggregate[],
  settings: StuckSettings,
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
  settings: StuckSettings,
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
  settings: StuckSettings,
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
    rule: RULE_NAME,
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

/** How the rule reads in messages (subject, email, JSON document, CLI). */
const describeStuck = (e: StuckEvaluation): RuleWords => {
  const n = e.runs.length;
  const timeout = formatDurationMs(e.timeoutMs);
  return {
    summary: (firing) =>
      firing ? `${n} run${n === 1 ? '' : 's'} stuck > ${timeout}` : `no runs stuck > ${timeout}`,
    measurement: { name: 'stuckRuns', value: n, threshold: 1, unit: 'count', comparison: '>=' },
    parameters: { timeoutMs: e.timeoutMs },
    counts: { stuck: n },
    description: `fires for every run that started more than ${timeout} ago without succeeding, failing or being cancelled`,
    countsLine: `${formatCount(n)} run${n === 1 ? '' : 's'} started more than ${timeout} ago without a terminal event`,
    historyStatus: 'started',
    taskIdsTitle: 'Stuck runs',
    taskIdLines: e.runs.map(
      (r) =>
        `${r.taskId}  started ${formatUtc(Date.parse(r.startedAt))} (${formatDurationMs(r.stuckForMs)} ago), attempt ${r.attempt}, ${r.status}`,
    ),
    runs: e.runs,
  };
};

/** Runs started without a terminal event (CDK props, `monitor.stuck`). */
export interface StuckProps {
  /** @default true */
  readonly enabled?: boolean;
  /** @default Duration.hours(1) */
  readonly timeout?: Duration;
  /** Runs created longer ago are not looked at. @default Duration.days(1) */
  readonly lookback?: Duration;
  /** @default 'warning' */
  readonly severity?: StuckSettings['severity'];
}

/** The rule module (see `registry.ts`). */
export const stuckRule = defineRule({
  key: 'stuck',
  name: RULE_NAME,
  schema: stuckSchema,
  defaults: STUCK_DEFAULTS,
  check: (s: StuckSettings) =>
    s.lookbackMs <= s.timeoutMs ? 'lookbackMs must be greater than stuck.timeoutMs' : undefined,
  // Task-type scopes always read the stuck look-back: the monitor's Running gauge counts open runs over it.
  lookbackMs: (s, { typeScope }) => (typeScope ? s.lookbackMs : 0),
  evaluate: async (input) => {
    if (!input.typeScope || !(input.settings.enabled || input.active)) return undefined;
    const runs = await input.runsCreatedIn(stuckCandidateRanges(input.buckets, input.settings, input.nowMs));
    return evaluateStuck(input.scope, runs, input.settings, input.nowMs);
  },
  describe: describeStuck,
  settingsFromProps: (p: StuckProps) =>
    definedFields({
      enabled: p.enabled,
      timeoutMs: millisOf(p.timeout),
      lookbackMs: millisOf(p.lookback),
      severity: p.severity,
    }),
});
