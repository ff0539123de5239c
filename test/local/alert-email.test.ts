import { describe, expect, it } from 'vitest';
import { toAlertDocument } from '../../lambdas/alerts/document';
import { renderEmail, renderSubject } from '../../lambdas/alerts/email';
import type { AlertNotification } from '../../lambdas/alerts/notification';
import { toAlertMessage } from '../../lambdas/alerts/sns-message';
import { DEFAULT_RULE_SETTINGS } from '../../lambdas/domain/rules/config';
import { evaluateStuck } from '../../lambdas/domain/rules/stuck';
import { emailOfDocument } from '../../local/alert-email';
import { alertOfMessageBody, formatAlert } from '../../local/alert-inbox';
import { ALERT_NOW_MS, failureRateEvaluation } from '../support/alerts';

/**
 * Local mode prints alert emails from what an SQS subscriber of the topic receives (the JSON document):
 * the text must be the email the monitor's renderer gives for the same notification.
 */

const NOW = ALERT_NOW_MS;

/** A failure-rate notification: 69 of 200 failed in one bucket. */
const failureRate = (kind: AlertNotification['kind'] = 'ALARM'): AlertNotification => ({
  id: 'n-1',
  kind,
  evaluation: {
    ...failureRateEvaluation('send_invoice'),
    taskIds: ['inv-1', 'inv-2'],
  },
  stage: 'prod',
  firingSince: new Date(NOW - 600_000).toISOString(),
  runbook: 'https://wiki.example.com/runbooks/send_invoice',
  reminderIntervalMs: 7_200_000,
});

/** A stuck-run notification with two runs. */
const stuck = (): AlertNotification => ({
  id: 'n-2',
  kind: 'ALARM',
  evaluation: evaluateStuck(
    'resize_image',
    [
      {
        taskId: 'img-1',
        taskType: 'resize_image',
        status: 'started',
        attempt: 1,
        startedAt: new Date(NOW - 7_200_000).toISOString(),
        createdAt: new Date(NOW - 7_300_000).toISOString(),
        dimensions: {},
      },
      {
        taskId: 'img-2',
        taskType: 'resize_image',
        status: 'started',
        attempt: 2,
        startedAt: new Date(NOW - 5_400_000).toISOString(),
        createdAt: new Date(NOW - 5_500_000).toISOString(),
        dimensions: {},
      },
    ],
    DEFAULT_RULE_SETTINGS.stuck,
    NOW,
  ),
  stage: 'prod',
  firingSince: new Date(NOW).toISOString(),
  runbook: null,
  reminderIntervalMs: null,
});

/** What an SQS subscription receives: the SNS envelope around the `sqs` body of the publish. */
const envelopeOf = (n: AlertNotification): string => {
  const message = toAlertMessage(n);
  const bodies = JSON.parse(message.message) as Record<string, string>;
  return JSON.stringify({
    Type: 'Notification',
    MessageId: 'm-1',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
    Subject: message.subject,
    Message: bodies.sqs,
    MessageAttributes: Object.fromEntries(
      Object.entries(message.attributes).map(([k, v]) => [k, { Type: 'String', Value: v }]),
    ),
  });
};

describe('emailOfDocument', () => {
  it.each([
    ['failure-rate ALARM', failureRate('ALARM')],
    ['failure-rate OK', failureRate('OK')],
    ['stuck ALARM', stuck()],
  ])('gives back the email the monitor renders (%s)', (_name, notification) => {
    // Act
    const email = emailOfDocument(toAlertDocument(notification), notification.reminderIntervalMs);

    // Assess
    expect(email.subject).toBe(renderSubject(notification));
    expect(email.text).toBe(renderEmail(notification));
  });
});

describe('alertOfMessageBody', () => {
  it('renders the email from the SNS envelope an SQS subscription receives', () => {
    const notification = failureRate();

    const alert = alertOfMessageBody(envelopeOf(notification), () => 7_200_000);

    expect(alert.subject).toBe('[ALARM] send_invoice failure rate 34.5% > 20% (last 1h)');
    expect(alert.text).toBe(renderEmail(notification));
    expect(alert.attributes).toMatchObject({ kind: 'ALARM', rule: 'failure-rate', taskType: 'send_invoice' });
    expect(alert.document?.id).toBe('n-1');
  });

  it('takes a raw body (raw message delivery) as well', () => {
    const notification = stuck();
    const raw = JSON.parse(toAlertMessage(notification).message).sqs as string;

    const alert = alertOfMessageBody(raw, () => null);

    expect(alert.text).toBe(renderEmail(notification));
  });

  it('shows a message that is not an alert document as it came', () => {
    const body = JSON.stringify({ Type: 'Notification', Subject: 'hello', Message: 'plain text' });

    expect(alertOfMessageBody(body)).toEqual({ subject: 'hello', text: 'plain text', attributes: {} });
  });
});

describe('formatAlert', () => {
  it('frames the subject and every line of the text', () => {
    const framed = formatAlert({ subject: '[ALARM] x', text: 'line 1\n\nline 3', attributes: {} }, '');

    expect(framed.split('\n')).toEqual([
      '┌ Subject: [ALARM] x',
      '│',
      '│ line 1',
      '│',
      '│ line 3',
      '└ (the email text; SQS, Lambda and HTTPS subscribers get the JSON document)',
    ]);
  });
});
