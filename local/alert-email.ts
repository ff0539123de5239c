import type { AlertMessage } from '../lambdas/domain/alerts/sns-message';
import { createMonitorHandler } from '../lambdas/monitor/handler-factory';
import type { AlertPublisher } from '../lambdas/shared/aws/alert-publisher';
import type { AnyHandler, HandlerModule } from './function-registry';

/**
 * Alert emails in local mode. moto delivers no email, so local mode wraps the monitor's publisher
 * in-process: every alert is published to the stack's topic as in Lambda, and once SNS has accepted it,
 * the body SNS gives email subscribers is printed.
 */

/** An alert as an email subscriber reads it. */
export interface AlertEmail {
  readonly subject: string;
  readonly text: string;
}

/** The email of a published message: its subject and the `email` body of the per-protocol JSON. Pure. */
const emailOf = (message: AlertMessage): AlertEmail => {
  const bodies = JSON.parse(message.message) as { email?: string; default?: string };
  return { subject: message.subject, text: bodies.email ?? bodies.default ?? message.message };
};

/** A publisher that publishes through `inner`, then hands the email to `onEmail`. */
export const printingPublisher = (
  inner: AlertPublisher,
  onEmail: (email: AlertEmail) => void,
): AlertPublisher => ({
  async publish(message) {
    await inner.publish(message);
    onEmail(emailOf(message));
  },
});

/** The `MonitorFunction` entry of local mode: the monitor as its Lambda builds it, emails to `onEmail`. */
export const monitorPrintingEmails = (onEmail: (email: AlertEmail) => void): HandlerModule => ({
  create: async () => {
    const deps = (await import('../lambdas/monitor/handler')).monitorDeps();
    return createMonitorHandler({
      ...deps,
      publisher: printingPublisher(deps.publisher, onEmail),
    }) as AnyHandler;
  },
});

/**
 * An alert for the terminal: the subject and the email text in a frame, e.g.
 * ```
 * ┌ Subject: [ALARM] send_invoice failure rate 44.0% > 20% (last 5m)
 * │ ALARM: failure-rate on send_invoice started firing.
 * └ (the email text; …)
 * ```
 */
export const formatAlert = (alert: AlertEmail, indent = '  '): string =>
  [
    `${indent}┌ Subject: ${alert.subject}`,
    `${indent}│`,
    ...alert.text.split('\n').map((line) => `${indent}│ ${line}`.trimEnd()),
    `${indent}└ (the email text; SQS, Lambda and HTTPS subscribers get the JSON document)`,
  ].join('\n');
