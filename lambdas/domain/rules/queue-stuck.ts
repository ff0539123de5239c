import type { Duration } from 'aws-cdk-lib';
import { z } from 'zod';
import { formatDurationMs } from '../../shared/format';
import { AGG_FIELD } from '../aggregate';
import { alignedStartMs, type BucketAggregate, rangesWithCounter } from './buckets';
import type { EvaluationBase } from './evaluation';
import { SEVERITIES } from './rule';
import { definedFields, defineRule, millisOf } from './rule-module';
import type { RunSummary } from './run-summary';

/**
 * The queue-stuck rule, in one module: its settings (schema, defaults, CDK props), its evaluation and
 * how it is described in messages. It fires for executions that were enqueued and never started within
 * `timeoutMs` (a stopped worker, a stuck queue), listing their task IDs.
 *
 * Reads stay proportional to what is waiting, as for the stuck rule: the aggregates' `waiting`
 * counters (enqueued, not started, not finished; counted in the bucket of creation) name the
 * creation-time ranges that may hold such a run, and only those are read from the history.
 */

/** The rule's name in alert keys, message attributes and documents: part of the public contract, never renamed. */
const RULE_NAME = 'queue-stuck';

/** Settings of the rule (`queueStuck` in the monitor configuration). */
const queueStuckSchema = z
  .object({
    enabled: z.boolean(),
    /** An execution is stuck in the queue when it was enqueued this long ago and has not started. */
    timeoutMs: z.number().int().positive(),
    /** Executions created longer ago than this are no longer looked at. */
    lookbackMs: z.number().int().positive(),
    severity: z.enum(SEVERITIES),
  })
  .strict();

type QueueStuckSettings = z.infer<typeof queueStuckSchema>;

/** On; 30 minutes in the queue; looking back one day; a warning. */
const QUEUE_STUCK_DEFAULTS: QueueStuckSettings = {
  enabled: true,
  timeoutMs: 1_800_000,
  lookbackMs: 86_400_000,
  severity: 'warning',
};

/** One execution waiting in the queue. */
interface WaitingRun {
  readonly taskId: string;
  readonly createdAt: string;
  readonly waitingForMs: number;
}

interface QueueStuckEvaluation extends EvaluationBase {
  readonly rule: typeof RULE_NAME;
  /** Every execution waiting longer than the timeout, oldest first. */
  readonly waiting: readonly WaitingRun[];
  readonly timeoutMs: number;
}

/** Creation-time ranges `[fromMs, toMs)` that may hold a run waiting longer than the timeout. Pure. */
const queueStuckCandidateRanges = (
  buckets: readonly BucketAggregate[],
  settings: QueueStuckSettings,
  nowMs: number,
): { fromMs: number; toMs: number }[] => {
  if (!settings.enabled) return [];
  return rangesWithCounter(
    buckets,
    AGG_FIELD.waiting,
    nowMs - settings.lookbackMs,
    nowMs - settings.timeoutMs,
  );
};

/** True for a run enqueued at least `timeoutMs` before `nowMs` that has neither started nor finished. */
const isWaiting = (run: RunSummary, nowMs: number, timeoutMs: number): boolean =>
  run.firstStartedAt === undefined &&
  run.finishedAt === undefined &&
  nowMs - Date.parse(run.createdAt) >= timeoutMs;

/** Evaluate a task type from the runs created in its candidate ranges. Pure. */
const evaluateQueueStuck = (
  scope: string,
  runs: readonly RunSummary[],
  settings: QueueStuckSettings,
  nowMs: number,
): QueueStuckEvaluation => {
  const distinct = [...new Map(runs.map((run) => [run.taskId, run])).values()];
  const waiting = distinct
    .filter((run) => run.taskType === scope && isWaiting(run, nowMs, settings.timeoutMs))
    .map((run) => ({
      taskId: run.taskId,
      createdAt: run.createdAt,
      waitingForMs: nowMs - Date.parse(run.createdAt),
    }))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  return {
    rule: RULE_NAME,
    scope,
    severity: settings.severity,
    firing: settings.enabled && waiting.length > 0,
    evaluatedAtMs: nowMs,
    windowStartMs:
      waiting[0] === undefined
        ? alignedStartMs(nowMs - settings.lookbackMs)
        : Date.parse(waiting[0].createdAt),
    windowEndMs: nowMs,
    taskIds: waiting.map((r) => r.taskId),
    topErrors: [],
    waiting,
    timeoutMs: settings.timeoutMs,
  };
};

/** How the rule reads in messages (subject, email, JSON document, CLI). */
const describeQueueStuck = (e: QueueStuckEvaluation) => {
  const n = e.waiting.length;
  const timeout = formatDurationMs(e.timeoutMs);
  return {
    summary: (firing: boolean) =>
      firing
        ? `${n} run${n === 1 ? '' : 's'} enqueued and not started > ${timeout}`
        : `no runs waiting in the queue > ${timeout}`,
    measurement: {
      name: 'waitingRuns',
      value: n,
      threshold: 1,
      unit: 'count' as const,
      comparison: '>=' as const,
    },
    parameters: { timeoutMs: e.timeoutMs },
    counts: { waiting: n },
    description: `fires for every run that was enqueued more than ${timeout} ago and has not started`,
    countsLine: `${n} run${n === 1 ? '' : 's'} enqueued more than ${timeout} ago without a start`,
    historyStatus: 'enqueued',
    taskIdsTitle: 'Runs waiting in the queue',
    taskIdLines: e.waiting.map(
      (r) => `${r.taskId}  enqueued ${r.createdAt} (${formatDurationMs(r.waitingForMs)} ago)`,
    ),
  };
};

/** CDK props of the rule (`monitor.queueStuck`). */
export interface QueueStuckProps {
  /** @default true */
  readonly enabled?: boolean;
  /** @default Duration.minutes(30) */
  readonly timeout?: Duration;
  /** Runs created longer ago are not looked at. @default Duration.days(1) */
  readonly lookback?: Duration;
  /** @default 'warning' */
  readonly severity?: QueueStuckSettings['severity'];
}

/** The rule module (see `registry.ts`). */
export const queueStuckRule = defineRule({
  key: 'queueStuck',
  name: RULE_NAME,
  schema: queueStuckSchema,
  defaults: QUEUE_STUCK_DEFAULTS,
  check: (s: QueueStuckSettings) =>
    s.lookbackMs <= s.timeoutMs ? 'lookbackMs must be greater than queueStuck.timeoutMs' : undefined,
  lookbackMs: (s, { typeScope }) => (typeScope && s.enabled ? s.lookbackMs : 0),
  evaluate: async (input) => {
    if (!input.typeScope || !(input.settings.enabled || input.active)) return undefined;
    const runs = await input.runsCreatedIn(
      queueStuckCandidateRanges(input.buckets, input.settings, input.nowMs),
    );
    return evaluateQueueStuck(input.scope, runs, input.settings, input.nowMs);
  },
  describe: describeQueueStuck,
  settingsFromProps: (p: QueueStuckProps) =>
    definedFields({
      enabled: p.enabled,
      timeoutMs: millisOf(p.timeout),
      lookbackMs: millisOf(p.lookback),
      severity: p.severity,
    }),
});
