import { Duration } from 'aws-cdk-lib';
import type { Node } from 'constructs';
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

/**
 * Read Taskpulse props from CDK context (`-c key=value` or `cdk.json`). Keys: `stage`,
 * `historyRetentionDays`, `aggregateRetentionDays`, `aggregateDimensions` (comma list),
 * `maxReceiveCount`, `alertEmails` (comma list).
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
  return {
    ...(stage !== undefined && { stage: String(stage) }),
    ...(historyDays !== undefined && { historyRetention: Duration.days(historyDays) }),
    ...(aggregateDays !== undefined && { aggregateRetention: Duration.days(aggregateDays) }),
    ...(get('aggregateDimensions') !== undefined && {
      aggregateDimensions: list(get('aggregateDimensions')),
    }),
    ...(maxReceiveCount !== undefined && { maxReceiveCount }),
    ...(get('alertEmails') !== undefined && { alertEmails: list(get('alertEmails')) }),
  };
};
