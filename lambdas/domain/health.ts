/**
 * Pipeline health: the signals `/health` reads and the decision it answers with (200 healthy, 503 with
 * reasons). Pure: the route reads the signals (SQS, CloudWatch, the run records) and hands them here.
 */

/** What `/health` observed, each signal in its own unit; `null` where the source had no value. */
export interface HealthSignals {
  /** When the signals were read, epoch ms. */
  readonly nowMs: number;
  /** Events queue: messages waiting to be received (`ApproximateNumberOfMessages`). */
  readonly queueDepth: number;
  /**
   * Events queue: age of the oldest message, seconds (CloudWatch `AWS/SQS ApproximateAgeOfOldestMessage`,
   * newest datapoint of the last minutes). `null`: no datapoint (an emulator, or an idle queue SQS
   * stopped reporting).
   */
  readonly oldestMessageAgeSeconds: number | null;
  /** Dead-letter queue: messages in it (visible and in flight). */
  readonly deadLetterDepth: number;
  /** Stream records the aggregator gave up on (its failure queue): messages in it. */
  readonly aggregateFailureDepth: number;
  /**
   * Aggregator lag, seconds: age of the newest stream record when the aggregator received it
   * (CloudWatch `AWS/Lambda IteratorAge`, maximum of the newest datapoint). `null`: no datapoint.
   */
  readonly aggregatorLagSeconds: number | null;
  /** When the monitor last completed a run, epoch ms; `null`: never. */
  readonly lastMonitorRunMs: number | null;
  /** When the scheduled rollup last completed, epoch ms; `null`: never. */
  readonly lastRollupRunMs: number | null;
}

/** Limits beyond which a signal makes the pipeline unhealthy. */
export interface HealthThresholds {
  /** Events waiting in the queue: a backlog this deep means ingest is not keeping up. */
  readonly maxQueueDepth: number;
  /** Oldest waiting event, seconds: older means events wait too long to be stored. */
  readonly maxOldestMessageAgeSeconds: number;
  /** Messages in the dead-letter queue: any is an event that will not be stored without a redrive. */
  readonly maxDeadLetterDepth: number;
  /** Records in the aggregator's failure queue: any is a change missing from the aggregates. */
  readonly maxAggregateFailureDepth: number;
  /** Aggregator lag, seconds: aggregates and alerts trail the history by more than this. */
  readonly maxAggregatorLagSeconds: number;
  /** Seconds since the last completed monitor run: alerts are not being evaluated. */
  readonly maxMonitorSilenceSeconds: number;
  /** Seconds since the last completed scheduled rollup: daily figures are going stale. */
  readonly maxRollupSilenceSeconds: number;
}

/**
 * Default limits, for the default schedules (monitor every 5 minutes, rollup daily at 00:30 UTC):
 * - queue depth 10,000: at the design's 1,200 events/s about ten seconds of input; deeper means the
 *   ingest concurrency cap is the bottleneck;
 * - oldest message 300 s: an event older than five minutes misses a monitor period;
 * - dead-letter and aggregate-failure depth 0: each message there is data the pipeline did not store;
 * - aggregator lag 300 s: one monitor period, the freshness the alerts promise;
 * - monitor silence 900 s: three missed 5-minute runs in a row (one failed run is retried by the next);
 * - rollup silence 26 h: a daily run plus two hours of grace for a long backfill or a late start.
 */
export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  maxQueueDepth: 10_000,
  maxOldestMessageAgeSeconds: 300,
  maxDeadLetterDepth: 0,
  maxAggregateFailureDepth: 0,
  maxAggregatorLagSeconds: 300,
  maxMonitorSilenceSeconds: 900,
  maxRollupSilenceSeconds: 26 * 3_600,
};

/** Which signal a reason is about (stable, for scripts). */
export type HealthCheck =
  | 'queueDepth'
  | 'oldestMessageAge'
  | 'deadLetterQueue'
  | 'aggregateFailureQueue'
  | 'aggregatorLag'
  | 'monitorRun'
  | 'rollupRun';

/** One reason the pipeline is unhealthy. */
export interface HealthReason {
  readonly check: HealthCheck;
  /** The observed value (`null`: the job never completed), in the unit of the limit. */
  readonly value: number | null;
  readonly limit: number;
  /** A sentence for a person. */
  readonly message: string;
}

/** The decision. */
export interface HealthAssessment {
  readonly healthy: boolean;
  /** Empty when healthy. */
  readonly reasons: readonly HealthReason[];
}

const secondsSince = (nowMs: number, thenMs: number): number =>
  Math.max(0, Math.round((nowMs - thenMs) / 1000));

/**
 * Decide whether the pipeline is healthy: every signal within its limit. A signal without a value
 * (`null` ages from CloudWatch) is not a reason: absence of a datapoint is not evidence of a problem,
 * and the depths, which SQS always reports, still catch a stalled ingest. A monitor that never
 * completed is a reason (it runs every few minutes); a rollup that never ran is not (the first
 * scheduled one may be up to a day after deployment).
 */
export const assessHealth = (
  s: HealthSignals,
  t: HealthThresholds = DEFAULT_HEALTH_THRESHOLDS,
): HealthAssessment => {
  const reasons: HealthReason[] = [];
  const over = (check: HealthCheck, value: number | null, limit: number, message: string) => {
    if (value !== null && value > limit) reasons.push({ check, value, limit, message });
  };
  over(
    'queueDepth',
    s.queueDepth,
    t.maxQueueDepth,
    `${s.queueDepth} events wait in the queue (limit ${t.maxQueueDepth}): ingest is not keeping up`,
  );
  over(
    'oldestMessageAge',
    s.oldestMessageAgeSeconds,
    t.maxOldestMessageAgeSeconds,
    `the oldest queued event is ${s.oldestMessageAgeSeconds} s old (limit ${t.maxOldestMessageAgeSeconds} s): ingest is not keeping up`,
  );
  over(
    'deadLetterQueue',
    s.deadLetterDepth,
    t.maxDeadLetterDepth,
    `${s.deadLetterDepth} messages in the dead-letter queue: inspect and redrive them (taskpulse redrive)`,
  );
  over(
    'aggregateFailureQueue',
    s.aggregateFailureDepth,
    t.maxAggregateFailureDepth,
    `${s.aggregateFailureDepth} stream records in the aggregator's failure queue: aggregates miss their changes (taskpulse rebuild)`,
  );
  over(
    'aggregatorLag',
    s.aggregatorLagSeconds,
    t.maxAggregatorLagSeconds,
    `the aggregator is ${s.aggregatorLagSeconds} s behind the history (limit ${t.maxAggregatorLagSeconds} s)`,
  );
  if (s.lastMonitorRunMs === null)
    reasons.push({
      check: 'monitorRun',
      value: null,
      limit: t.maxMonitorSilenceSeconds,
      message: 'the monitor has never completed a run: alerts are not evaluated',
    });
  else
    over(
      'monitorRun',
      secondsSince(s.nowMs, s.lastMonitorRunMs),
      t.maxMonitorSilenceSeconds,
      `the monitor last completed a run ${secondsSince(s.nowMs, s.lastMonitorRunMs)} s ago (limit ${t.maxMonitorSilenceSeconds} s): alerts are not evaluated`,
    );
  if (s.lastRollupRunMs !== null)
    over(
      'rollupRun',
      secondsSince(s.nowMs, s.lastRollupRunMs),
      t.maxRollupSilenceSeconds,
      `the scheduled rollup last completed ${secondsSince(s.nowMs, s.lastRollupRunMs)} s ago (limit ${t.maxRollupSilenceSeconds} s): daily figures are stale`,
    );
  return { healthy: reasons.length === 0, reasons };
};
