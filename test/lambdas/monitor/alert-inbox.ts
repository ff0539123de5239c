import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { AlertDocument } from '../../../lambdas/domain/alerts/document';
import { SnsAlertPublisher } from '../../../lambdas/shared/aws/alert-publisher';
import { motoClientConfig, uniqueName } from '../../support/aws';

/**
 * An SNS topic on moto_server with an SQS queue subscribed to it, the way a machine consumer would
 * subscribe: tests publish through the real SNS adapter and assert on what arrives in the queue.
 */

/** One alert as an SQS subscriber receives it (the SNS envelope, decoded). */
export interface ReceivedAlert {
  readonly subject: string;
  readonly document: AlertDocument;
  readonly attributes: Record<string, string>;
}

export interface AlertInbox {
  readonly topicArn: string;
  readonly publisher: SnsAlertPublisher;
  /** Everything that arrived since the last call (removed from the queue). */
  take(): Promise<ReceivedAlert[]>;
}

export const createAlertInbox = async (): Promise<AlertInbox> => {
  const sns = new SNSClient(motoClientConfig());
  const sqs = new SQSClient(motoClientConfig());
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName('alerts') }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('alerts-inbox') }));
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: attrs.Attributes?.QueueArn }));
  return {
    topicArn: TopicArn!,
    publisher: new SnsAlertPublisher(sns, TopicArn!),
    take: async () => {
      const out: ReceivedAlert[] = [];
      for (;;) {
        const res = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
        );
        const messages = res.Messages ?? [];
        if (messages.length === 0) return out;
        for (const m of messages) {
          const envelope = JSON.parse(m.Body!) as {
            Subject: string;
            Message: string;
            MessageAttributes?: Record<string, { Type: string; Value: string }>;
          };
          out.push({
            subject: envelope.Subject,
            document: JSON.parse(envelope.Message) as AlertDocument,
            attributes: Object.fromEntries(
              Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
            ),
          });
        }
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    },
  };
};
