import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { AlertMessage } from '../../domain/alerts/sns-message';

/** Sends alert messages. One SNS adapter below; tests and local mode may use it against moto. */
export interface AlertPublisher {
  publish(message: AlertMessage): Promise<void>;
}

/** Publishing to SNS failed; the alert state keeps the message and the next run sends it again. */
class AlertPublishError extends Error {
  override readonly name = 'AlertPublishError';
}

/** SNS implementation of `AlertPublisher`. */
export class SnsAlertPublisher implements AlertPublisher {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(message: AlertMessage): Promise<void> {
    try {
      await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: message.subject,
          Message: message.message,
          MessageStructure: 'json',
          MessageAttributes: Object.fromEntries(
            Object.entries(message.attributes).map(([name, value]) => [
              name,
              { DataType: 'String', StringValue: value },
            ]),
          ),
        }),
      );
    } catch (error) {
      throw new AlertPublishError(`could not publish alert ${message.id} to ${this.topicArn}`, {
        cause: error,
      });
    }
  }
}
