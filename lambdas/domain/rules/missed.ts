import type { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { formatCount, formatDurationMs, formatUtc } from '../../shared/format';
import { AGG_FIELD } from '../aggregate';
import { alignedStartMs, type BucketAggregate, bucketsOverlapping, counterOf } from './buckets';
import type { EvaluationBase } from './evaluation';
import type { Severity } from './rule';
import { definedFields, defineRule, millisOf, positiveMs, type RuleWords, severity } from './rule-module';

/**
 * The missed-run rule, in one module: its settings (schema, defaults, CDK props), its evaluation and
 * how it is described in messages. It applies to task types with a declared cadence (`cadences` in
 * the monitor configuration, `expectedCadences` in the CDK props); it has no `enabled` switch.
 */

/** The rule's name in alert keys, message attributes and documents: part of the public contract, never renamed. */
const RULE_NAME = 'missed';

/** Settings of the rule (`missed` in the monitor configuration). */
const missedSchema = z
  .object({
    /** Extra time after the expected cadence before a run counts as missed. */
    graceMs: positiveMs,
    severity,
  })
  .strict();

type MissedSettings = z.infer<typeof missedSchema>;

/** One hour of grace after the cadence; critical. */
const MISSED_DEFAULTS: MissedSettings = { graceMs: 3_600_000, severity: 'critical' };

interface MissedEvaluation extends EvaluationBase {
  readonly rule: typeof RULE_NAME;
  readonly everyMs: number;
  readonly graceMs: number;
  /** Runs started in the window (`everyMs + graceMs` back from now). */
  readonly started: number;
  /** Start of the newest bucket with a start among the buckets read, if any. */
  readonly lastStartMs: number | null;
}

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
    rule: RULE_NAME,
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

/** How the rule reads in messages (subject, email, JSON document, CLI). */
const describeMissed = (e: MissedEvaluation): RuleWords => {
  const every = formatDurationMs(e.everyMs);
  const grace = formatDurationMs(e.graceMs);
  return {
    summary: (firing) =>
      firing
        ? `missed run: none started in ${formatDurationMs(e.everyMs + e.graceMs)} (every ${every} + ${grace} grace)`
        : `runs started again (every ${every} + ${grace} grace)`,
    measurement: { name: 'startedInWindow', value: e.started, threshold: 1, unit: 'count', comparison: '<' },
    parameters: { everyMs: e.everyMs, graceMs: e.graceMs },
    counts: { started: e.started },
    description: `fires when no run started within ${every} plus ${grace} grace`,
    countsLine: `${formatCount(e.started)} runs started in the window${e.lastStartMs === null ? '' : `; the last start seen was around ${formatUtc(e.lastStartMs)}`}`,
    historyStatus: undefined,
    taskIdsTitle: 'Example failed tasks',
    taskIdLines: e.taskIds,
  };
};

/** Missed runs of task types with an expected cadence (CDK props, `monitor.missed`). */
export interface MissedProps {
  /** Default grace after the cadence. @default Duration.hours(1) */
  readonly grace?: Duration;
  /** @default 'critical' */
  readonly severity?: Severity;
}

/** The rule module (see `registry.ts`). */
export const missedRule = defineRule({
  key: 'missed',
  name: RULE_NAME,
  schema: missedSchema,
  defaults: MISSED_DEFAULTS,
  lookbackMs: (s: MissedSettings, { cadence }) =>
    cadence === undefined ? 0 : cadence.everyMs + (cadence.graceMs ?? s.graceMs),
  evaluate: ({ scope, typeScope, buckets, settings, cadence, active, nowMs }) => {
    if (!typeScope || (cadence === undefined && !active)) return undefined;
    const graceMs = cadence?.graceMs ?? settings.graceMs;
    // A cadence that was removed while firing evaluates as "not missed" so the alert can recover.
    return cadence === undefined
      ? {
          ...evaluateMissed(scope, buckets, { everyMs: 1, graceMs, severity: settings.severity }, nowMs),
          firing: false,
        }
      : evaluateMissed(
          scope,
          buckets,
          { everyMs: cadence.everyMs, graceMs, severity: settings.severity },
          nowMs,
        );
  },
  describe: describeMissed,
  settingsFromProps: (p: MissedProps) => definedFields({ graceMs: millisOf(p.grace), severity: p.severity }),
});
