import { describe, expect, it } from 'vitest';
import {
  ALARM_DOCUMENT_SCHEMA,
  type AlarmDocument,
  CLOUDWATCH_ALARM_RULE,
  formatAlarm,
  NO_TASK_TYPE,
  parseAlarmNotification,
} from '../../../lambdas/alarm-format/format-alarm';
import { readSeverityTag, withSeverityTag } from '../../../lambdas/alarm-format/severity';
import { ALERT_ATTRIBUTE } from '../../../lambdas/domain/alerts/sns-message';
import { alarmNotification, failureRateTrigger } from './alarm-notification';

const format = (overrides: Record<string, unknown> = {}, raw?: string) =>
  formatAlarm(parseAlarmNotification(raw ?? JSON.stringify(alarmNotification(overrides))), 'prod');
const bodiesOf = (message: { message: string }) => JSON.parse(message.message) as Record<string, string>;

describe('formatAlarm', () => {
  it('carries every filter attribute our own alerts carry, with the severity from the description tag', () => {
    const message = format();
    expect(Object.keys(message.attributes).sort()).toEqual(Object.values(ALERT_ATTRIBUTE).sort());
    expect(message.attributes).toMatchObject({
      severity: 'critical',
      rule: CLOUDWATCH_ALARM_RULE,
      state: 'ALARM',
      kind: 'ALARM',
      stage: 'prod',
      scope: 'Taskpulse-prod-TaskpulseMonitoringAlarmsDeadLetterQueue-1A2B3C4D5E6F',
      taskType: NO_TASK_TYPE,
    });
    for (const value of Object.values(message.attributes)) expect(value.length).toBeGreaterThan(0);
  });

  it('takes warning from the tag and keeps it on the recovery, like our alerts', () => {
    const description = withSeverityTag(
      'warning',
      'Taskpulse (prod): the oldest event waited too long. What to do: x',
    );
    const recovered = format({ AlarmDescription: description, NewStateValue: 'OK', OldStateValue: 'ALARM' });
    expect(recovered.attributes).toMatchObject({ severity: 'warning', state: 'OK', kind: 'OK' });
    expect(recovered.subject).toBe('[OK] Taskpulse (prod): the oldest event waited too long');
  });

  it('treats an alarm without a tag as critical', () => {
    expect(format({ AlarmDescription: 'hand-made alarm' }).attributes.severity).toBe('critical');
    expect(format({ AlarmDescription: null }).attributes.severity).toBe('critical');
  });

  it('names the task type of a failure-rate alarm from its metric dimensions', () => {
    expect(format({ Trigger: failureRateTrigger('send_invoice') }).attributes.taskType).toBe('send_invoice');
  });

  it('gives people text and machines the JSON document', () => {
    const message = format();
    const bodies = bodiesOf(message);
    expect(bodies.email).toContain('ALARM: CloudWatch alarm Taskpulse-prod-');
    expect(bodies.email).toContain('What:     Taskpulse (prod): messages are in the dead-letter queue.');
    expect(bodies.email).toContain('Why:      Threshold Crossed');
    expect(bodies.email).toContain('Since:    2026-03-02 10:05 UTC (was OK)');
    expect(bodies.email).toContain(
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/Taskpulse-prod-',
    );
    expect(bodies.email).not.toContain('[critical]');
    expect(bodies.default).toBe(bodies.email);
    const doc = JSON.parse(bodies.sqs!) as AlarmDocument;
    expect(doc).toMatchObject({
      schema: ALARM_DOCUMENT_SCHEMA,
      id: message.id,
      severity: 'critical',
      state: 'ALARM',
    });
    expect(bodies.https).toBe(bodies.sqs);
    expect(message.subject).toBe('[ALARM] Taskpulse (prod): messages are in the dead-letter queue');
  });

  it('gives the same id to a redelivered notification and a new one to the next state change', () => {
    expect(format().id).toBe(format().id);
    expect(format().id).not.toBe(format({ NewStateValue: 'OK' }).id);
    expect(format().attributes.notificationId).toBe(format().id);
  });

  it('still produces a critical alert from a notification it cannot read, never dropping it', () => {
    const message = format({}, 'not json at all');
    expect(message.attributes).toMatchObject({ severity: 'critical', state: 'ALARM' });
    expect(bodiesOf(message).email).toContain('not json at all');
  });
});

describe('severity tag', () => {
  it('round-trips and leaves untagged text alone', () => {
    expect(readSeverityTag(withSeverityTag('info', 'x y'))).toEqual({ severity: 'info', text: 'x y' });
    expect(readSeverityTag('[loud] x')).toEqual({ severity: 'critical', text: '[loud] x' });
  });
});
