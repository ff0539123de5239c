/**
 * Prometheus metric and label names served by `GET /metrics`: the one module that owns them, because
 * scrape configs, recording rules and Grafana dashboards of users depend on them (docs/api.md lists
 * them). Units are in the names, in Prometheus base units (seconds).
 */
export const PROM_METRIC = {
  /** Counter: executions finished since 00:00 UTC, by task type and final status (resets daily). */
  executionsTotal: 'taskpulse_executions_total',
  /** Counter: failed attempts that were retried since 00:00 UTC, by task type (resets daily). */
  retriesTotal: 'taskpulse_retries_total',
  /** Histogram: run time of executions finished since 00:00 UTC, seconds. */
  runDuration: 'taskpulse_run_duration_seconds',
  /** Histogram: wait time (enqueued → started) of executions finished since 00:00 UTC, seconds. */
  waitDuration: 'taskpulse_wait_duration_seconds',
  /** Gauge: executions started and not finished, as the monitor counted them at its last run. */
  runningExecutions: 'taskpulse_running_executions',
  /** Gauge: of those, executions running longer than the stuck rule's timeout. */
  stuckExecutions: 'taskpulse_stuck_executions',
  /** Gauge: messages in a pipeline queue, by queue. */
  queueMessages: 'taskpulse_queue_messages',
  /** Gauge: when a scheduled job last completed, Unix seconds, by job. */
  lastRunTimestamp: 'taskpulse_last_run_timestamp_seconds',
} as const;

/** Label names. */
export const PROM_LABEL = {
  taskType: 'task_type',
  status: 'status',
  queue: 'queue',
  /** `visible` (waiting) or `in_flight` (received, not deleted). */
  state: 'state',
  job: 'job_name',
} as const;

/** Values of the `queue` label. */
export const PROM_QUEUE = {
  events: 'events',
  deadLetter: 'dead_letter',
  aggregateFailures: 'aggregate_failures',
} as const;
