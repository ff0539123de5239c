import { createHash } from 'node:crypto';

/**
 * Physical names of locally created resources: `<stackName>-<LogicalId>`, with characters the service
 * does not allow replaced and, when too long, shortened with a hash suffix so names stay unique.
 * Deterministic, so re-running against the same emulator finds the same resources.
 */

/** Name limits per resource type: length and the characters that must be replaced. */
export const NAME_RULES = {
  'AWS::SQS::Queue': { maxLength: 80, invalid: /[^A-Za-z0-9_-]/g },
  'AWS::DynamoDB::Table': { maxLength: 255, invalid: /[^A-Za-z0-9_.-]/g },
  'AWS::SNS::Topic': { maxLength: 256, invalid: /[^A-Za-z0-9_-]/g },
  'AWS::Lambda::Function': { maxLength: 64, invalid: /[^A-Za-z0-9_-]/g },
  default: { maxLength: 64, invalid: /[^A-Za-z0-9_.-]/g },
} as const;

/** The local physical name of a resource. `suffix` (e.g. `.fifo`) is kept intact and counted. */
export const physicalName = (stackName: string, logicalId: string, type: string, suffix = ''): string => {
  const rule = NAME_RULES[type as keyof typeof NAME_RULES] ?? NAME_RULES.default;
  const base = `${stackName}-${logicalId}`.replace(rule.invalid, '-');
  const room = rule.maxLength - suffix.length;
  if (base.length <= room) return base + suffix;
  const hash = createHash('sha1').update(base).digest('hex').slice(0, 8);
  return `${base.slice(0, room - hash.length - 1)}-${hash}${suffix}`;
};
