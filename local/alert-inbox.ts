import { SNSClient, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { AlertDocument } from '../lambdas/alerts/document';
import { DEFAULT_RULE_SETTINGS, parseMonitorConfig, settingsFor } from '../lambdas/domain/rules/config';
import { ENV } from '../lambdas/shared/names/env';
import { AlertDocumentError, emailOfDocument, parseAlertDocument } from './alert-email';
import { clientConfig } from './aws-config';
import type { LocalStack } from './stack-types';

/**
 * A local inbox for the alert topic: an SQS queue created at start (local only, not part of the
 * template) and subscribed to the topic, like any machine subscriber would be. Each arriving message is
 * turned back into the email a person would get (subject and text), so local mode can print it.
 *
 * The subscription is a plain SQS one (no raw delivery): SNS wraps the `sqs` body of the
 * `MessageStructure: 'json'` publish (the JSON alert document) in its notification envelope, which
 * also carries the subject and the message attributes. Raw bodies are accepted too.
 */

/** How to open the inbox. */
export interface AlertInboxOptions {
  readonly endpoint: string;
  readonly region: string;
  /** The alert topic. */
  readonly topicArn: string;
  /** Name of the local queue (created, or reused when it exists). */
  readonly queueName: string;
  /**
   * Reminder interval of a task type's alerts, which the email's footer states.
   * @default the default rule settings' (4 h)
   */
  readonly reminderIntervalOf?: (taskType: string) => number | null;
  /** Long-poll wait of one receive, seconds. @default 1 */
  readonly waitSeconds?: number;
}

/** One alert as it arrived. */
export interface ReceivedAlert {
  /** The email subject (the SNS subject of the publish). */
  readonly subject: string;
  /** The email text a person reads. */
  readonly text: string;
  /** The JSON document, when the message was one. */
  readonly document?: AlertDocument;
  /** SNS message attributes (`severity`, `rule`, `taskType`, `state`, `kind`…). */
  readonly attributes: Readonly<Record<string, string>>;
}

interface SnsEnvelope {
  readonly Type?: string;
  readonly Subject?: string;
  readonly Message?: string;
  readonly MessageAttributes?: Record<string, { Type?: string; Value?: string }>;
}

const defaultReminder = () => DEFAULT_RULE_SETTINGS.alerts.reminderIntervalMs;

/**
 * The alert in one SQS message body of the subscription: an SNS envelope (or a raw body) whose message
 * is the JSON document, rendered to the email. A message that is not a document (someone published
 * plain text to the topic) is shown as it came. Pure.
 */
export const alertOfMessageBody = (
  body: string,
  reminderIntervalOf: (taskType: string) => number | null = defaultReminder,
): ReceivedAlert => {
  let envelope: SnsEnvelope | undefined;
  try {
    const parsed = JSON.parse(body) as SnsEnvelope;
    if (parsed?.Type === 'Notification' && typeof parsed.Message === 'string') envelope = parsed;
  } catch {
    // a raw body that is not JSON: shown as it is below
  }
  const message = envelope?.Message ?? body;
  const attributes = Object.fromEntries(
    Object.entries(envelope?.MessageAttributes ?? {}).map(([k, v]) => [k, String(v.Value ?? '')]),
  );
  try {
    const document = parseAlertDocument(message);
    const email = emailOfDocument(document, reminderIntervalOf(document.taskType));
    return { ...email, document, attributes };
  } catch (error) {
    if (!(error instanceof AlertDocumentError)) throw error;
    return { subject: envelope?.Subject ?? '(no subject)', text: message, attributes };
  }
};

/**
 * Reminder intervals as the stack's monitor sees them: read from the `MonitorFunction`'s configuration
 * (its environment in the template), so the email footer says what the monitor does.
 */
export const reminderIntervalsOf = (
  stack: Pick<LocalStack, 'functions'>,
): ((taskType: string) => number | null) => {
  const json = stack.functions.find((f) => f.constructId === 'MonitorFunction')?.environment[
    ENV.monitorConfig
  ];
  if (json === undefined) return defaultReminder;
  const config = parseMonitorConfig(json, ENV.monitorConfig);
  return (taskType) => settingsFor(config, taskType).alerts.reminderIntervalMs;
};

/** A queue subscribed to the alert topic, read alert by alert. */
export class AlertInbox {
  private loop: Promise<void> | undefined;
  private stopping = false;

  private constructor(
    private readonly options: AlertInboxOptions,
    private readonly sqs: SQSClient,
    private readonly sns: SNSClient,
    /** URL of the local queue. */
    readonly queueUrl: string,
    /** ARN of the topic subscription. */
    readonly subscriptionArn: string,
  ) {}

  /** Create (or reuse) the queue and subscribe it to the topic. */
  static async open(options: AlertInboxOptions): Promise<AlertInbox> {
    const aws = clientConfig({ endpoint: options.endpoint, region: options.region });
    const sqs = new SQSClient(aws);
    const sns = new SNSClient(aws);
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: options.queueName }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      const queueArn = Attributes!.QueueArn!;
      // moto delivers without it; LocalStack and AWS need the topic to be allowed to send.
      const policy = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queueArn,
            Condition: { ArnEquals: { 'aws:SourceArn': options.topicArn } },
          },
        ],
      };
      await sqs.send(
        new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }),
      );
      const { SubscriptionArn } = await sns.send(
        new SubscribeCommand({
          TopicArn: options.topicArn,
          Protocol: 'sqs',
          Endpoint: queueArn,
          ReturnSubscriptionArn: true,
        }),
      );
      return new AlertInbox(options, sqs, sns, QueueUrl!, SubscriptionArn!);
    } catch (error) {
      sqs.destroy();
      sns.destroy();
      throw error;
    }
  }

  /** One long poll: the alerts that arrived (deleted from the queue once rendered), oldest first. */
  async receive(): Promise<ReceivedAlert[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: this.options.waitSeconds ?? 1,
      }),
    );
    if (Messages.length === 0) return [];
    const alerts = Messages.map((m) => alertOfMessageBody(m.Body ?? '', this.options.reminderIntervalOf));
    await this.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    return alerts;
  }

  /** Receive in a loop until `stop()`, handing each alert to `onAlert`. */
  start(onAlert: (alert: ReceivedAlert) => void, onError: (error: Error) => void = () => {}): void {
    if (this.loop !== undefined) return;
    this.stopping = false;
    this.loop = (async () => {
      while (!this.stopping) {
        try {
          for (const alert of await this.receive()) onAlert(alert);
        } catch (error) {
          if (this.stopping) break;
          onError(error as Error);
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
    })();
  }

  /** Stop the loop (a receive in flight finishes). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    this.loop = undefined;
  }

  /** Stop, unsubscribe and delete the queue (it is local mode's own), release the clients. */
  async close(): Promise<void> {
    await this.stop();
    try {
      await this.sns.send(new UnsubscribeCommand({ SubscriptionArn: this.subscriptionArn }));
      await this.sqs.send(new DeleteQueueCommand({ QueueUrl: this.queueUrl }));
    } finally {
      this.sqs.destroy();
      this.sns.destroy();
    }
  }
}

/**
 * An alert for the terminal: the subject and the email text in a frame, e.g.
 * ```
 * ┌ [ALARM] send_invoice failure rate 44.0% > 20% (last 5m)
 * │ ALARM: failure-rate on send_invoice started firing.
 * │ …
 * └ (email text; SQS and other machine subscribers get the JSON document)
 * ```
 */
export const formatAlert = (alert: ReceivedAlert, indent = '  '): string =>
  [
    `${indent}┌ Subject: ${alert.subject}`,
    `${indent}│`,
    ...alert.text.split('\n').map((line) => `${indent}│ ${line}`.trimEnd()),
    `${indent}└ (the email text; SQS, Lambda and HTTPS subscribers get the JSON document)`,
  ].join('\n');
