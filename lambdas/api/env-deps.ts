import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SQSClient } from '@aws-sdk/client-sqs';
import { documentClient } from '../shared/aws/clients';
import { AwsPipelineProbe, pipelineLocationFromEnv } from '../shared/aws/pipeline-probe';
import { ENV, requireEnv } from '../shared/names/env';
import type { ApiDeps } from './deps';

/**
 * The API's dependencies from an environment (the Lambda's, read once at cold start by `handler.ts`;
 * local mode passes the stack's). A missing variable fails with its name. Kept apart from
 * `handler.ts` so importing it does not build the Lambda's handler.
 */
export const apiDeps = (env: NodeJS.ProcessEnv = process.env): ApiDeps => {
  const dynamodb = new DynamoDBClient({});
  const logger = new Logger({ serviceName: 'taskpulse-api' });
  const pipeline = pipelineLocationFromEnv(env);
  return {
    ...(pipeline !== undefined && {
      pipeline: new AwsPipelineProbe(new SQSClient({}), new CloudWatchClient({}), pipeline),
    }),
    doc: documentClient(dynamodb),
    dynamodb,
    streams: new DynamoDBStreamsClient({}),
    historyTable: requireEnv(ENV.historyTable, env),
    stateTable: requireEnv(ENV.stateTable, env),
    logger: { error: (message, extra) => logger.error(message, extra ?? {}) },
  };
};
