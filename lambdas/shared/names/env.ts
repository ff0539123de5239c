/**
 * Environment variables of the Lambdas: names owned here, set by CDK (`infra/`; local mode reads the
 * values back from the stack it deploys to the emulator), read by `requireEnv`, `intEnv`,
 * `optionalEnv` and `listEnv` below, which fail fast at cold start with the name of what is missing.
 */
export const ENV = {
  historyTable: 'TASKPULSE_HISTORY_TABLE',
  stateTable: 'TASKPULSE_STATE_TABLE',
  /** Days an execution or quarantined message is kept. */
  historyTtlDays: 'TASKPULSE_HISTORY_TTL_DAYS',
  /** Days a time-bucket aggregate is kept (rollups are permanent). */
  aggregateTtlDays: 'TASKPULSE_AGGREGATE_TTL_DAYS',
  /** Comma-separated dimension keys that get their own aggregate scopes, e.g. `marketplace,tenant`. */
  aggregateDimensions: 'TASKPULSE_AGGREGATE_DIMENSIONS',
  /** CloudWatch namespace of the task metrics. */
  metricsNamespace: 'TASKPULSE_METRICS_NAMESPACE',
  /** SNS topic that receives alerts. */
  alertTopicArn: 'TASKPULSE_ALERT_TOPIC_ARN',
  /** JSON monitor configuration (thresholds, overrides, cadences). */
  monitorConfig: 'TASKPULSE_MONITOR_CONFIG',
  /** Days before today that a scheduled rollup run recomputes (1: yesterday only). */
  rollupDays: 'TASKPULSE_ROLLUP_DAYS',
  /** Stage name, shown in alerts and the dashboard. */
  stage: 'TASKPULSE_STAGE',
  /** CloudFormation stack name, so CLI commands in alerts name the deployment (`--stack`). Optional. */
  stackName: 'TASKPULSE_STACK_NAME',
  /** Runbook URL shown in every alert (the one `runbookUrl` prop / `-c runbookUrl`). Optional. */
  runbookUrl: 'TASKPULSE_RUNBOOK_URL',
  /** Console URL of the deployment's dashboard, linked from alerts. Optional. */
  dashboardUrl: 'TASKPULSE_DASHBOARD_URL',
  /** Console URL of the monitor function's logs, linked from alerts. Optional. */
  logsUrl: 'TASKPULSE_LOGS_URL',
  /** Events queue URL (the API's `/health` and `/metrics` read its depth). */
  eventsQueueUrl: 'TASKPULSE_EVENTS_QUEUE_URL',
  /** Dead-letter queue URL (`/health`, `/metrics`). */
  deadLetterQueueUrl: 'TASKPULSE_DEAD_LETTER_QUEUE_URL',
  /** The aggregator's failure queue URL (`/health`, `/metrics`). */
  aggregateFailureQueueUrl: 'TASKPULSE_AGGREGATE_FAILURE_QUEUE_URL',
  /** Name of the aggregator function, whose `IteratorAge` is the aggregator lag (`/health`). */
  aggregateFunctionName: 'TASKPULSE_AGGREGATE_FUNCTION_NAME',
  /** ARN of the Secrets Manager secret holding the API's read-only bearer token (the token authorizer). */
  apiTokenSecretArn: 'TASKPULSE_API_TOKEN_SECRET_ARN',
} as const;

type EnvName = (typeof ENV)[keyof typeof ENV];

/** Raised at cold start when configuration is missing or malformed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Read a required variable. */
export const requireEnv = (name: EnvName, env: NodeJS.ProcessEnv = process.env): string => {
  const value = env[name];
  if (value === undefined || value.trim() === '')
    throw new ConfigError(`environment variable ${name} is not set`);
  return value;
};

/** Read an optional positive integer, with a default. */
export const intEnv = (name: EnvName, fallback: number, env: NodeJS.ProcessEnv = process.env): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new ConfigError(`${name} must be a positive integer, got "${raw}"`);
  return value;
};

/** Read an optional variable (`undefined` when unset or blank). */
export const optionalEnv = (name: EnvName, env: NodeJS.ProcessEnv = process.env): string | undefined =>
  env[name]?.trim() || undefined;

/** Read an optional comma-separated list. */
export const listEnv = (name: EnvName, env: NodeJS.ProcessEnv = process.env): string[] =>
  (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** Defaults shared by CDK and the Lambdas. */
export const DEFAULTS = {
  historyTtlDays: 30,
  aggregateTtlDays: 400,
  metricsNamespace: 'Taskpulse',
} as const;
