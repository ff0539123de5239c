import { ALERT_DOCUMENT_SCHEMA, type AlertDocument } from '../lambdas/alerts/document';
import { renderEmail, renderSubject } from '../lambdas/alerts/email';
import type { AlertNotification } from '../lambdas/alerts/notification';
import type { Evaluation } from '../lambdas/domain/rules/evaluation';
import { RULE } from '../lambdas/domain/rules/rule';
import type { TaskStatus } from '../lambdas/shared/contract/event';

/**
 * The email text of an alert, rebuilt from the JSON document an SQS subscriber of the alert topic
 * receives. SNS picks one body per protocol: email subscribers get the text, SQS subscribers the JSON
 * document (and moto does the same), so local mode, which reads a queue, turns the document back into
 * the notification and renders it with the monitor's own `renderEmail`: the printed text is the email.
 *
 * The document carries every field the email shows except three details, which are left out of the
 * text: the last success of `consecutive-failures`, the p95 run time of `slow`, the last start of
 * `missed`. The reminder interval is not in the document either; the caller passes it (from the
 * monitor's configuration).
 */

/** Raised when a message is not a Taskpulse alert document of a known version. */
export class AlertDocumentError extends Error {
  override readonly name = 'AlertDocumentError';
}

const num = (value: number | null | undefined, what: string): number => {
  if (typeof value !== 'number') throw new AlertDocumentError(`alert document has no number ${what}`);
  return value;
};

/** The evaluation a document was made from (less the three details above). Pure. */
export const evaluationOfDocument = (doc: AlertDocument): Evaluation => {
  const p = doc.parameters;
  const c = doc.counts;
  const base = {
    scope: doc.scope,
    severity: doc.severity,
    firing: doc.state === 'ALARM',
    evaluatedAtMs: Date.parse(doc.evaluatedAt),
    windowStartMs: Date.parse(doc.window.start),
    windowEndMs: Date.parse(doc.window.end),
    taskIds: doc.taskIds,
    topErrors: doc.topErrors,
  };
  switch (doc.rule) {
    case RULE.failureRate:
      return {
        ...base,
        rule: doc.rule,
        finished: num(c.finished, 'counts.finished'),
        succeeded: num(c.succeeded, 'counts.succeeded'),
        failed: num(c.failed, 'counts.failed'),
        cancelled: num(c.cancelled, 'counts.cancelled'),
        retried: num(c.retried, 'counts.retried'),
        rate: doc.measurement.value,
        threshold: num(p.threshold, 'parameters.threshold'),
        windowMs: num(p.windowMs, 'parameters.windowMs'),
        minFinished: num(p.minFinished, 'parameters.minFinished'),
      };
    case RULE.consecutiveFailures:
      return {
        ...base,
        rule: doc.rule,
        streak: num(c.streak, 'counts.streak'),
        count: num(p.count, 'parameters.count'),
        lookbackMs: num(p.lookbackMs, 'parameters.lookbackMs'),
        lastSuccessMs: null,
      };
    case RULE.stuck:
      return {
        ...base,
        rule: doc.rule,
        // The document's status is the stored one, a `TaskStatus` written as a plain string.
        runs: doc.runs.map((r) => ({ ...r, status: r.status as TaskStatus })),
        timeoutMs: num(p.timeoutMs, 'parameters.timeoutMs'),
      };
    case RULE.slow:
      return {
        ...base,
        rule: doc.rule,
        slow: num(c.slow, 'counts.slow'),
        measured: num(c.measured, 'counts.measured'),
        share: doc.measurement.value,
        thresholdMs: num(p.thresholdMs, 'parameters.thresholdMs'),
        alertShare: p.alertShare ?? null,
        windowMs: num(p.windowMs, 'parameters.windowMs'),
        minFinished: num(p.minFinished, 'parameters.minFinished'),
        p95Ms: null,
      };
    case RULE.missed:
      return {
        ...base,
        rule: doc.rule,
        everyMs: num(p.everyMs, 'parameters.everyMs'),
        graceMs: num(p.graceMs, 'parameters.graceMs'),
        started: num(c.started, 'counts.started'),
        lastStartMs: null,
      };
    default:
      throw new AlertDocumentError(
        `alert document of an unknown rule: ${String((doc as { rule: unknown }).rule)}`,
      );
  }
};

/** Parse a message body as an alert document; throws `AlertDocumentError` for anything else. */
export const parseAlertDocument = (text: string): AlertDocument => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AlertDocumentError('alert message is not JSON', { cause: error });
  }
  const schema = (value as { schema?: unknown } | null)?.schema;
  if (schema !== ALERT_DOCUMENT_SCHEMA) {
    throw new AlertDocumentError(`not a ${ALERT_DOCUMENT_SCHEMA} alert document (schema ${String(schema)})`);
  }
  return value as AlertDocument;
};

/** An alert as an email subscriber reads it. */
export interface AlertEmail {
  readonly subject: string;
  readonly text: string;
}

/**
 * The email (subject and text) of an alert document. `reminderIntervalMs` is the alert's reminder
 * interval (`null`: none), which the email's footer states. Pure.
 */
export const emailOfDocument = (doc: AlertDocument, reminderIntervalMs: number | null): AlertEmail => {
  const notification: AlertNotification = {
    id: doc.id,
    kind: doc.kind,
    evaluation: evaluationOfDocument(doc),
    stage: doc.stage,
    firingSince: doc.firingSince,
    runbook: doc.runbook,
    reminderIntervalMs,
  };
  return { subject: renderSubject(notification), text: renderEmail(notification) };
};
