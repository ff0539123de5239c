import type { SNSEvent } from 'aws-lambda';
import type { AlertPublisher } from '../shared/aws/alert-publisher';
import { formatAlarm, parseAlarmNotification } from './format-alarm';

interface AlarmFormatDeps {
  readonly publisher: AlertPublisher;
  readonly stage: string;
}

/**
 * The alarm formatter: each CloudWatch alarm notification from the internal alarm topic is published
 * to the alert topic as a Taskpulse alert message. A failed publish fails the invocation, so SNS and
 * Lambda's asynchronous retries send it again.
 */
export const createAlarmFormatHandler =
  (deps: AlarmFormatDeps) =>
  async (event: SNSEvent): Promise<void> => {
    for (const record of event.Records)
      await deps.publisher.publish(formatAlarm(parseAlarmNotification(record.Sns.Message), deps.stage));
  };
