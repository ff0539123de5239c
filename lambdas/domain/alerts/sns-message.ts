import { toAlertDocument } from './document';
import { renderEmail, renderSubject } from './email';
import type { AlertNotification } from './notification';

/**
 * The SNS publish request of a notification: `MessageStructure: 'json'` with one body per protocol
 * (people get text, machines get the JSON document) and message attributes that subscription filter
 * policies can match (`severity`, `rule`, `taskType`, `state`, `kind`, `scope`, `stage`).
 */

/** Protocols that receive the JSON document; every other protocol (email, SMS…) gets the text. */
export const JSON_PROTOCOLS = ['sqs', 'lambda', 'http', 'https', 'email-json', 'firehose'] as const;

/** The message attribute names subscribers can filter on. */
export const ALERT_ATTRIBUTE = {
  severity: 'severity',
  rule: 'rule',
  taskType: 'taskType',
  scope: 'scope',
  state: 'state',
  kind: 'kind',
  stage: 'stage',
  notificationId: 'notificationId',
} as const;

/** What the publisher sends (kept as plain data so it can be stored until it is published). */
export interface AlertMessage {
  readonly id: string;
  readonly subject: string;
  /** JSON object of per-protocol bodies, as a string (`MessageStructure: 'json'`). */
  readonly message: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** Build the publishable message of a notification. Pure. */
export const toAlertMessage = (n: AlertNotification): AlertMessage => {
  const text = renderEmail(n);
  const doc = toAlertDocument(n);
  const json = JSON.stringify(doc);
  const bodies: Record<string, string> = { default: text, email: text };
  for (const protocol of JSON_PROTOCOLS) bodies[protocol] = json;
  return {
    id: n.id,
    subject: renderSubject(n),
    message: JSON.stringify(bodies),
    attributes: {
      [ALERT_ATTRIBUTE.severity]: doc.severity,
      [ALERT_ATTRIBUTE.rule]: doc.rule,
      [ALERT_ATTRIBUTE.taskType]: doc.taskType,
      [ALERT_ATTRIBUTE.scope]: doc.scope,
      [ALERT_ATTRIBUTE.state]: doc.state,
      [ALERT_ATTRIBUTE.kind]: doc.kind,
      [ALERT_ATTRIBUTE.stage]: doc.stage,
      [ALERT_ATTRIBUTE.notificationId]: doc.id,
    },
  };
};
