import { Duration } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { alertingPropsFromContext } from './alerting';
import type { AlarmThresholds } from './monitoring/options';
import type { TaskpulseProps } from './taskpulse';

/** Raised when CDK context holds a value of the wrong shape; names the key and what is expected. */
export class ContextError extends Error {
  override readonly name = 'ContextError';
}

const list = (raw: unknown): string[] | undefined => {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) return raw.map(String);
  return String(raw)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
};

const positiveInt = (key: string, raw: unknown): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new ContextError(`context ${key} must be a positive integer, got ${String(raw)}`);
  return n;
};

const positiveNumber = (key: string, raw: unknown): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0)
    throw new ContextError(`context ${key} must be a positive number, got ${String(raw)}`);
  return n;
};

/** CloudWatch namespaces: 1–255 of these characters, and `AWS/` is reserved. */
const NAMESPACE_PATTERN = /^[A-Za-z0-9._\-/#: ]{1,255}$/;

/** `{ key: value }` when the value is set, else `{}` (for spreading optional props). */
const optional = <K extends string, V>(key: K, value: V | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** Monitoring props from context; `undefined` when no monitoring key is set. */
const monitoringFromContext = (get: (key: string) => unknown): TaskpulseProps['monitoring'] => {
  const minutes = positiveInt('alarmOldestMessageAgeMinutes', get('alarmOldestMessageAgeMinutes'));
  const alarms: AlarmThresholds = {
    ...(minutes !== undefined && { oldestMessageAge: Duration.minutes(minutes) }),
    ...optional('functionErrors', positiveInt('alarmFunctionErrors', get('alarmFunctionErrors'))),
    ...optional('quarantinePercent', positiveNumber('alarmQuarantinePercent', get('alarmQuarantinePercent'))),
    ...optional(
      'failureRatePercent',
      positiveNumber('alarmFailureRatePercent', get('alarmFailureRatePercent')),
    ),
    ...optional(
      'failureRateMinTasks',
      positiveInt('alarmFailureRateMinTasks', get('alarmFailureRateMinTasks')),
    ),
  };
  const runbookUrl = get('runbookUrl');
  if (runbookUrl !== undefined && !/^https?:\/\/\S+$/.test(String(runbookUrl)))
    throw new ContextError(`context runbookUrl must be an http(s) URL, got ${String(runbookUrl)}`);
  const monitoring = {
    ...(get('dashboardTaskTypes') !== undefined && { dashboardTaskTypes: list(get('dashboardTaskTypes')) }),
    ...(runbookUrl !== undefined && { runbookUrl: String(runbookUrl) }),
    ...(Object.keys(alarms).length > 0 && { alarms }),
  };
  return Object.keys(monitoring).length > 0 ? monitoring : undefined;
};

/**
 * Read Taskpulse props from CDK context (`-c key=value` or `cdk.json`). Keys: `stage`,
 * `historyRetentionDays`, `aggregateRetentionDays`, `aggregateDimensions` (comma list),
 * `maxReceiveCount`, `alertEmails` (comma list), `metricsNamespace`, `dashboardTaskTypes` (comma list),
 * `runbookUrl`, `alarmOldestMessageAgeMinutes`, `alarmFunctionErrors`, `alarmQuarantinePercent`,
 * `alarmFailureRatePercent` (enables failure-rate alarms for the dashboard task types),
 * `alarmFailureRateMinTasks`, `apiBearerToken` (`true`: a read-only bearer token for `/metrics` and
 * `/health`), `apiThrottleRate`, `apiThrottleBurst`.
 */
export const configFromContext = (node: Node): TaskpulseProps => {
  const get = (key: string): unknown => node.tryGetContext(key);
  const historyDays = positiveInt('historyRetentionDays', get('historyRetentionDays'));
  const aggregateDays = positiveInt('aggregateRetentionDays', get('aggregateRetentionDays'));
  const maxReceiveCount = positiveInt('maxReceiveCount', get('maxReceiveCount'));
  const stage = get('stage');
  if (stage !== undefined && !/^[a-z][a-z0-9-]{0,20}$/.test(String(stage))) {
    throw new ContextError(`context stage must match ^[a-z][a-z0-9-]{0,20}$, got ${String(stage)}`);
  }
  const namespace = get('metricsNamespace');
  if (
    namespace !== undefined &&
    (!NAMESPACE_PATTERN.test(String(namespace)) || String(namespace).startsWith('AWS/'))
  )
    throw new ContextError(
      `context metricsNamespace must be a CloudWatch namespace (not AWS/…), got ${String(namespace)}`,
    );
  const monitoring = monitoringFromContext(get);
  const api = apiFromContext(get);
  return {
    // Schedules and monitor thresholds (`rollupSchedule`, `monitorSchedule`, `monitorConfig` as JSON).
    ...alertingPropsFromContext(node),
    ...(stage !== undefined && { stage: String(stage) }),
    ...(historyDays !== undefined && { historyRetention: Duration.days(historyDays) }),
    ...(aggregateDays !== undefined && { aggregateRetention: Duration.days(aggregateDays) }),
    ...(get('aggregateDimensions') !== undefined && {
      aggregateDimensions: list(get('aggregateDimensions')),
    }),
    ...(maxReceiveCount !== undefined && { maxReceiveCount }),
    ...(get('alertEmails') !== undefined && { alertEmails: list(get('alertEmails')) }),
    ...(namespace !== undefined && { metricsNamespace: String(namespace) }),
    ...(monitoring !== undefined && { monitoring }),
    ...(api !== undefined && { api }),
  };
};

/**
 * Read-API props from context: `apiBearerToken` (`true`/`false`), `apiThrottleRate` and
 * `apiThrottleBurst` (positive integers); `undefined` when none is set.
 */
const apiFromContext = (get: (key: string) => unknown): TaskpulseProps['api'] => {
  const token = get('apiBearerToken');
  if (token !== undefined && !['true', 'false'].includes(String(token)))
    throw new ContextError(`context apiBearerToken must be true or false, got ${String(token)}`);
  const api = {
    ...(token !== undefined && { bearerToken: String(token) === 'true' }),
    ...optional('throttlingRateLimit', positiveInt('apiThrottleRate', get('apiThrottleRate'))),
    ...optional('throttlingBurstLimit', positiveInt('apiThrottleBurst', get('apiThrottleBurst'))),
  };
  return Object.keys(api).length > 0 ? api : undefined;
};
