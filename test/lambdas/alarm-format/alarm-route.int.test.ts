import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AlarmDocument } from '../../../lambdas/alarm-format/format-alarm';
import { createAlarmFormatHandler } from '../../../lambdas/alarm-format/handler-factory';
import { SnsAlertPublisher } from '../../../lambdas/shared/aws/alert-publisher';
import { motoClientConfig, uniqueName } from '../../support/aws';
import { alarmNotification } from './alarm-notification';

/**
 * CloudWatch alarm → formatter → alert topic → a subscription filtered on `severity`, over the wire on
 * moto_server. (CloudWatch's own publish to the alarm topic and SNS's call of the Lambda are AWS's
 * part; the template tests assert their wiring and permissions.)
 */

interface Received {
  readonly subject: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
}

const sns = new SNSClient(motoClientConfig());
const sqs = new SQSClient(motoClientConfig());

const subscribedQueue = async (topicArn: string, filterPolicy?: object) => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('subscriber') }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: attrs.Attributes?.QueueArn,
      ...(filterPolicy && { Attributes: { FilterPolicy: JSON.stringify(filterPolicy) } }),
    }),
  );
  return {
    take: async (): Promise<Received[]> => {
      const res = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      return (res.Messages ?? []).map((m) => {
        const envelope = JSON.parse(m.Body!) as {
          Subject: string;
          Message: string;
          MessageAttributes?: Record<string, { Value: string }>;
        };
        return {
          subject: envelope.Subject,
          body: envelope.Message,
          attributes: Object.fromEntries(
            Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
          ),
        };
      });
    },
  };
};

/** The event SNS hands the formatter Lambda for one notification on the alarm topic. */
const snsEventOf = (message: string): SNSEvent =>
  ({
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:us-east-1:123456789012:alarm-topic:sub',
        Sns: { Message: message, Subject: 'ALARM: ...', MessageAttributes: {} },
      },
    ],
  }) as unknown as SNSEvent;

describe('alarm route to a severity-filtered subscription', () => {
  let topicArn: string;
  let pager: Awaited<ReturnType<typeof subscribedQueue>>;
  let everything: Awaited<ReturnType<typeof subscribedQueue>>;

  beforeAll(async () => {
    ({ TopicArn: topicArn } = (await sns.send(new CreateTopicCommand({ Name: uniqueName('alerts') }))) as {
      TopicArn: string;
    });
    pager = await subscribedQueue(topicArn, { severity: ['critical'] });
    everything = await subscribedQueue(topicArn);
  });

  it('drops a CloudWatch notification published as CloudWatch sends it (no attributes): the defect', async () => {
    // Act: what an alarm action on the alert topic used to publish.
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'ALARM: x',
        Message: JSON.stringify(alarmNotification()),
      }),
    );
    // Assess
    expect(await pager.take()).toEqual([]);
    expect(await everything.take()).toHaveLength(1);
  });

  it('delivers a formatted critical alarm to the critical-only subscription with its attributes', async () => {
    // Prepare
    const handler = createAlarmFormatHandler({
      publisher: new SnsAlertPublisher(sns, topicArn),
      stage: 'prod',
    });
    // Act
    await handler(snsEventOf(JSON.stringify(alarmNotification())));
    // Assess
    const [received, ...rest] = await pager.take();
    expect(rest).toEqual([]);
    expect(received?.attributes).toMatchObject({ severity: 'critical', state: 'ALARM', stage: 'prod' });
    expect(received?.subject).toBe('[ALARM] Taskpulse (prod): messages are in the dead-letter queue');
    expect((JSON.parse(received!.body) as AlarmDocument).alarm.name).toMatch(/^Taskpulse-prod-/);
    expect(await everything.take()).toHaveLength(1);
  });

  it('keeps a warning alarm out of the critical-only subscription, and gives it to the others', async () => {
    const handler = createAlarmFormatHandler({
      publisher: new SnsAlertPublisher(sns, topicArn),
      stage: 'prod',
    });
    await handler(
      snsEventOf(JSON.stringify(alarmNotification({ AlarmDescription: '[warning] Taskpulse (prod): lag.' }))),
    );
    expect(await pager.take()).toEqual([]);
    const [received] = await everything.take();
    expect(received?.attributes.severity).toBe('warning');
  });
});
