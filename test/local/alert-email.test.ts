import { describe, expect, it } from 'vitest';
import { renderEmail, renderSubject } from '../../lambdas/domain/alerts/email';
import type { AlertNotification } from '../../lambdas/domain/alerts/notification';
import { type AlertMessage, toAlertMessage } from '../../lambdas/domain/alerts/sns-message';
import type { AlertPublisher } from '../../lambdas/shared/aws/alert-publisher';
import { type AlertEmail, formatAlert, printingPublisher } from '../../local/alert-email';
import { ALERT_NOW_MS, failureRateEvaluation } from '../support/alerts';

/**
 * Local mode prints each alert by wrapping the monitor's publisher: what it prints must be the email a
 * subscriber gets for that notification, and only once SNS has accepted the message.
 */

const notification: AlertNotification = {
  id: 'n-1',
  kind: 'ALARM',
  evaluation: { ...failureRateEvaluation('send_invoice'), taskIds: ['inv-1', 'inv-2'] },
  stage: 'prod',
  firingSince: new Date(ALERT_NOW_MS - 600_000).toISOString(),
  runbook: 'https://wiki.example.com/runbooks/send_invoice',
  reminderIntervalMs: 7_200_000,
};

describe('printingPublisher', () => {
  it('publishes the message, then hands over the email text and subject a subscriber gets', async () => {
    // Prepare
    const published: AlertMessage[] = [];
    const emails: AlertEmail[] = [];
    const inner: AlertPublisher = { publish: async (m) => void published.push(m) };

    // Act
    await printingPublisher(inner, (e) => emails.push(e)).publish(toAlertMessage(notification));

    // Assess
    expect(published).toHaveLength(1);
    expect(emails).toEqual([{ subject: renderSubject(notification), text: renderEmail(notification) }]);
    expect(formatAlert(emails[0]!)).toContain(`┌ Subject: ${renderSubject(notification)}`);
  });

  it('prints nothing when the publish fails (the monitor retries it on its next run)', async () => {
    const emails: AlertEmail[] = [];
    const failing: AlertPublisher = {
      publish: async () => {
        throw new Error('throttled');
      },
    };

    await expect(
      printingPublisher(failing, (e) => emails.push(e)).publish(toAlertMessage(notification)),
    ).rejects.toThrow('throttled');
    expect(emails).toEqual([]);
  });
});
