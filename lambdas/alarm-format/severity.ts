import { SEVERITIES, type Severity } from '../domain/rules/rule';

/**
 * The severity of a Taskpulse CloudWatch alarm travels in its description, as a leading tag such as
 * `[warning] `: CloudWatch's SNS message carries the description but nothing else we choose, and a
 * tag also tells a person reading the alarm in the console. CDK writes the tag
 * (`infra/monitoring/runbook.ts`), the alarm formatter reads it; an alarm without a tag is critical,
 * so an alarm someone adds by hand is never quietly downgraded.
 */

/** Severity of an alarm whose description has no tag. */
export const DEFAULT_ALARM_SEVERITY: Severity = 'critical';

/** `text` with its severity tag in front. */
export const withSeverityTag = (severity: Severity, text: string): string => `[${severity}] ${text}`;

const TAG = new RegExp(`^\\[(${SEVERITIES.join('|')})\\]\\s*`);

/** The severity tagged in an alarm description, and the description without the tag. Pure. */
export const readSeverityTag = (description: string): { severity: Severity; text: string } => {
  const match = TAG.exec(description);
  return match === null
    ? { severity: DEFAULT_ALARM_SEVERITY, text: description }
    : { severity: match[1] as Severity, text: description.slice(match[0].length) };
};
