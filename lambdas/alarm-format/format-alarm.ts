import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ALERT_ATTRIBUTE, type AlertMessage, JSON_PROTOCOLS } from '../domain/alerts/sns-message';
import type { Severity } from '../domain/rules/rule';
import { formatUtc, toSubject } from '../shared/format';
import { DIMENSION } from '../shared/names/metrics';
import { readSeverityTag } from './severity';

/**
 * A CloudWatch alarm notification turned into a Taskpulse alert message: the same per-protocol bodies
 * and the same message attributes as the monitor's alerts (`lambdas/domain/alerts/sns-message.ts`), so a
 * subscription filtered on `severity` (or `stage`, `kind`, `state`) receives alarms too.
 */

/** The `rule` attribute of every alarm message. */
export const CLOUDWATCH_ALARM_RULE = 'cloudwatch-alarm';
/** The `taskType` attribute of an alarm that is not about one task type (SNS attributes cannot be empty). */
export const NO_TASK_TYPE = '-';
/** Version of the JSON document of an alarm; fields are only ever added within a version. */
export const ALARM_DOCUMENT_SCHEMA = 'taskpulse.alarm/v1';

/** The fields of CloudWatch's alarm notification that we use; anything else is kept loose. */
const AlarmNotificationSchema = z.looseObject({
  AlarmName: z.string().min(1),
  AlarmDescription: z.string().nullish(),
  AlarmArn: z.string().optional(),
  NewStateValue: z.string().min(1),
  OldStateValue: z.string().optional(),
  NewStateReason: z.string().optional(),
  StateChangeTime: z.string().optional(),
  Trigger: z.unknown().optional(),
});
type AlarmNotification = z.infer<typeof AlarmNotificationSchema>;

/** The JSON document of an alarm, for machine subscribers. */
export interface AlarmDocument {
  readonly schema: typeof ALARM_DOCUMENT_SCHEMA;
  readonly id: string;
  /** The state the alarm entered: `ALARM`, `OK` or `INSUFFICIENT_DATA`. */
  readonly kind: string;
  /** `ALARM` while it fires, else `OK`. */
  readonly state: 'ALARM' | 'OK';
  readonly rule: typeof CLOUDWATCH_ALARM_RULE;
  readonly severity: Severity;
  readonly stage: string;
  /** The alarm name. */
  readonly scope: string;
  readonly taskType: string | null;
  readonly subject: string;
  /** CloudWatch's reason for the state change. */
  readonly summary: string;
  readonly alarm: {
    readonly name: string;
    readonly arn: string | null;
    readonly description: string;
    readonly previousState: string | null;
    readonly changedAt: string | null;
    readonly consoleUrl: string | null;
  };
}

/**
 * Read the `Message` of CloudWatch's SNS notification. Never throws: a message we cannot read still
 * becomes an alert (critical, with the raw text), because dropping an alarm is the worst outcome.
 */
export const parseAlarmNotification = (raw: string): AlarmNotification => {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  const parsed = AlarmNotificationSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  return {
    AlarmName: 'unreadable CloudWatch alarm notification',
    AlarmDescription: raw.slice(0, 2_000),
    NewStateValue: 'ALARM',
  };
};

/** The task type of an alarm whose metric (or one metric of its expression) has a `TaskType` dimension. */
const taskTypeOf = (trigger: unknown): string | null => {
  let found: string | null = null;
  const visit = (node: unknown): void => {
    if (found !== null || node === null || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    const name = o.name ?? o.Name;
    const value = o.value ?? o.Value;
    if (name === DIMENSION.taskType && typeof value === 'string') found = value;
    else for (const child of Object.values(o)) visit(child);
  };
  visit(trigger);
  return found;
};

/** `us-east-1` from `arn:aws:cloudwatch:us-east-1:123456789012:alarm:name`. */
const regionOf = (arn: string | undefined): string | null => arn?.split(':')[3] || null;

const consoleUrlOf = (alarm: AlarmNotification): string | null => {
  const region = regionOf(alarm.AlarmArn);
  return region === null
    ? null
    : `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarm.AlarmName)}`;
};

/** The first sentence of a description, for the subject. */
const headlineOf = (text: string): string => {
  const cut = text.search(/\.\s/);
  return cut < 0 ? text : text.slice(0, cut);
};

const timeOf = (iso: string | undefined): string | null => {
  if (iso === undefined) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : formatUtc(ms);
};

/** The text body (email, SMS) of an alarm. */
const renderAlarmText = (doc: AlarmDocument): string =>
  [
    `${doc.kind}: CloudWatch alarm ${doc.alarm.name}${doc.kind === 'ALARM' ? ' started firing' : ''}.`,
    '',
    `What:     ${doc.alarm.description || doc.alarm.name}`,
    `Why:      ${doc.summary || '(no reason given)'}`,
    `Since:    ${timeOf(doc.alarm.changedAt ?? undefined) ?? '(unknown)'}${doc.alarm.previousState ? ` (was ${doc.alarm.previousState})` : ''}`,
    `Severity: ${doc.severity}`,
    `Stage:    ${doc.stage}`,
    ...(doc.alarm.consoleUrl === null ? [] : ['', `Alarm in the console:`, `  ${doc.alarm.consoleUrl}`]),
    '',
    '--',
    'CloudWatch sends one message when an alarm starts firing and one when it recovers.',
    `Alert id ${doc.id}; rule ${doc.rule}; scope ${doc.scope}.`,
  ].join('\n');

/** Build the alert message of a CloudWatch alarm notification for `stage`. Pure. */
export const formatAlarm = (alarm: AlarmNotification, stage: string): AlertMessage => {
  const { severity, text } = readSeverityTag(alarm.AlarmDescription ?? '');
  const kind = alarm.NewStateValue;
  const id = createHash('sha256')
    .update(`${alarm.AlarmArn ?? alarm.AlarmName}|${alarm.StateChangeTime ?? ''}|${kind}`)
    .digest('hex')
    .slice(0, 32);
  const subject = toSubject(`[${kind}] ${headlineOf(text) || alarm.AlarmName}`);
  const taskType = taskTypeOf(alarm.Trigger);
  const doc: AlarmDocument = {
    schema: ALARM_DOCUMENT_SCHEMA,
    id,
    kind,
    state: kind === 'ALARM' ? 'ALARM' : 'OK',
    rule: CLOUDWATCH_ALARM_RULE,
    severity,
    stage,
    scope: alarm.AlarmName,
    taskType,
    subject,
    summary: alarm.NewStateReason ?? '',
    alarm: {
      name: alarm.AlarmName,
      arn: alarm.AlarmArn ?? null,
      description: text,
      previousState: alarm.OldStateValue ?? null,
      changedAt: alarm.StateChangeTime ?? null,
      consoleUrl: consoleUrlOf(alarm),
    },
  };
  const body = renderAlarmText(doc);
  const json = JSON.stringify(doc);
  const bodies: Record<string, string> = { default: body, email: body };
  for (const protocol of JSON_PROTOCOLS) bodies[protocol] = json;
  return {
    id,
    subject,
    message: JSON.stringify(bodies),
    attributes: {
      [ALERT_ATTRIBUTE.severity]: severity,
      [ALERT_ATTRIBUTE.rule]: CLOUDWATCH_ALARM_RULE,
      [ALERT_ATTRIBUTE.taskType]: taskType ?? NO_TASK_TYPE,
      [ALERT_ATTRIBUTE.scope]: alarm.AlarmName,
      [ALERT_ATTRIBUTE.state]: doc.state,
      [ALERT_ATTRIBUTE.kind]: kind,
      [ALERT_ATTRIBUTE.stage]: stage,
      [ALERT_ATTRIBUTE.notificationId]: id,
    },
  };
};
