import { SNSClient } from '@aws-sdk/client-sns';
import { SnsAlertPublisher } from '../shared/aws/alert-publisher';
import { ENV, requireEnv } from '../shared/names/env';
import { createAlarmFormatHandler } from './handler-factory';

/** Lambda entry of the alarm formatter: binds configuration and the SNS client once per container. */
const config = {
  topicArn: requireEnv(ENV.alertTopicArn),
  stage: requireEnv(ENV.stage),
};

export const handler = createAlarmFormatHandler({
  publisher: new SnsAlertPublisher(new SNSClient({}), config.topicArn),
  stage: config.stage,
});
