import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR, INDEX } from '../../lambdas/shared/names/keys';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { createLocalResources, type LocalStack } from '../../local/resources';
import { type CfnTemplate, synthTemplate } from '../../local/template';
import { motoClientConfig, uniqueName } from '../support/aws';

const config = motoClientConfig();
const ddb = new DynamoDBClient(config);
const sqs = new SQSClient(config);
const sns = new SNSClient(config);
const options = (stackName: string) => ({ endpoint: config.endpoint, region: config.region, stackName });

afterAll(() => {
  ddb.destroy();
  sqs.destroy();
  sns.destroy();
});

/** The template properties these tests read. */
interface TableProps {
  KeySchema: unknown;
  BillingMode: string;
  GlobalSecondaryIndexes?: { IndexName: string }[];
  StreamSpecification?: { StreamViewType: string };
  SSESpecification?: { SSEEnabled: boolean };
  TimeToLiveSpecification: { AttributeName: string };
}
interface QueueProps {
  VisibilityTimeout: number;
  MessageRetentionPeriod: number;
  SqsManagedSseEnabled: boolean;
  RedrivePolicy: { maxReceiveCount: number };
}

const resourcesOfType = (template: CfnTemplate, type: string) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);

describe('createLocalResources from the synthesized Taskpulse template', () => {
  let template: CfnTemplate;
  let stack: LocalStack;

  beforeAll(async () => {
    const synthesized = synthTemplate({ stackName: uniqueName('LocalRes') });
    template = synthesized.template;
    stack = await createLocalResources(template, options(synthesized.stackName));
  });

  it('creates every table with the template keys, indexes, stream, TTL and PITR', async () => {
    const tables = resourcesOfType(template, 'AWS::DynamoDB::Table');
    expect(Object.keys(stack.tables).sort()).toEqual(tables.map(([id]) => id).sort());
    for (const [logicalId, resource] of tables) {
      const props = resource.Properties as unknown as TableProps;
      const local = stack.tables[logicalId]!;
      expect(local.name).toBe(`${stack.stackName}-${logicalId}`);
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: local.name }));
      expect(Table?.KeySchema).toEqual(props.KeySchema);
      expect(Table?.BillingModeSummary?.BillingMode).toBe(props.BillingMode);
      const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((i) => ({
        IndexName: i.IndexName,
        KeySchema: i.KeySchema,
        Projection: i.Projection,
      }));
      expect(indexes).toEqual(props.GlobalSecondaryIndexes ?? []);
      expect(Table?.StreamSpecification?.StreamViewType).toBe(props.StreamSpecification?.StreamViewType);
      expect(Table?.SSEDescription?.Status).toBe(props.SSESpecification?.SSEEnabled ? 'ENABLED' : undefined);
      const ttl = await ddb.send(new DescribeTimeToLiveCommand({ TableName: local.name }));
      expect(ttl.TimeToLiveDescription).toMatchObject({
        TimeToLiveStatus: 'ENABLED',
        AttributeName: props.TimeToLiveSpecification.AttributeName,
      });
      const backups = await ddb.send(new DescribeContinuousBackupsCommand({ TableName: local.name }));
      expect(
        backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus,
      ).toBe('ENABLED');
    }
  });

  it('gives the history table its query indexes and a stream', () => {
    const history = Object.values(stack.tables).find(
      (t) => t.name === stack.outputs[OUTPUT.historyTableName],
    );
    expect(history?.streamArn).toMatch(/^arn:aws:dynamodb:.*\/stream\//);
    const props = template.Resources[history!.logicalId]!.Properties as unknown as TableProps;
    expect(props.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual([INDEX.byType, INDEX.byStatus]);
    expect(props.TimeToLiveSpecification.AttributeName).toBe(ATTR.expiresAt);
  });

  it('creates the queues with retention, visibility timeout and the redrive policy to the DLQ', async () => {
    const eventsUrl = stack.outputs[OUTPUT.eventsQueueUrl]!;
    const dlqUrl = stack.outputs[OUTPUT.deadLetterQueueUrl]!;
    const events = Object.values(stack.queues).find((q) => q.url === eventsUrl)!;
    const dlq = Object.values(stack.queues).find((q) => q.url === dlqUrl)!;
    const props = template.Resources[events.logicalId]!.Properties as unknown as QueueProps;

    const { Attributes: a = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: eventsUrl, AttributeNames: ['All'] }),
    );
    expect(Number(a.VisibilityTimeout)).toBe(props.VisibilityTimeout);
    expect(Number(a.MessageRetentionPeriod)).toBe(props.MessageRetentionPeriod);
    expect(a.SqsManagedSseEnabled).toBe(String(props.SqsManagedSseEnabled));
    expect(JSON.parse(a.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: dlq.arn,
      maxReceiveCount: props.RedrivePolicy.maxReceiveCount,
    });
    expect(events.redrivePolicy).toEqual({
      deadLetterTargetArn: dlq.arn,
      deadLetterQueueUrl: dlqUrl,
      maxReceiveCount: 5,
    });
    expect(events.visibilityTimeoutSeconds).toBe(props.VisibilityTimeout);
  });

  it('resolves every output and the functions with their environment and event sources', () => {
    expect(Object.keys(stack.outputs).sort()).toEqual(Object.keys(template.Outputs ?? {}).sort());
    const ingest = stack.functions.find((f) => f.constructId === 'IngestFunction')!;
    expect(ingest.environment.TASKPULSE_HISTORY_TABLE).toBe(stack.outputs[OUTPUT.historyTableName]);
    expect(ingest.eventSources).toEqual([
      expect.objectContaining({
        kind: 'sqs',
        queueUrl: stack.outputs[OUTPUT.eventsQueueUrl],
        batchSize: 100,
        maximumBatchingWindowSeconds: 2,
        reportBatchItemFailures: true,
        maximumConcurrency: 20,
      }),
    ]);
    const aggregate = stack.functions.find((f) => f.constructId === 'AggregateFunction')!;
    expect(aggregate.environment.TASKPULSE_STATE_TABLE).toBe(stack.outputs[OUTPUT.stateTableName]);
    expect(aggregate.eventSources).toEqual([
      expect.objectContaining({
        kind: 'dynamodb',
        startingPosition: 'TRIM_HORIZON',
        parallelizationFactor: 1,
        filters: [
          { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { pk: { S: [{ prefix: 'EX#' }] } } } },
        ],
      }),
    ]);
  });

  it('finds the same resources when run again with the same stack name', async () => {
    const again = await createLocalResources(template, options(stack.stackName));
    expect(again.outputs).toEqual(stack.outputs);
    expect(again.tables).toEqual(stack.tables);
    expect(again.queues).toEqual(stack.queues);
  });
});

describe('createLocalResources with other resource types', () => {
  /** A small template with what other stacks may add: topic, subscription, schedules, a condition. */
  const template: CfnTemplate = {
    Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } },
    Resources: {
      Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: 'alerts' } },
      Inbox: { Type: 'AWS::SQS::Queue', Properties: {} },
      InboxSubscription: {
        Type: 'AWS::SNS::Subscription',
        Properties: {
          Protocol: 'sqs',
          TopicArn: { Ref: 'Topic' },
          Endpoint: { 'Fn::GetAtt': ['Inbox', 'Arn'] },
          RawMessageDelivery: true,
        },
      },
      Fn: {
        Type: 'AWS::Lambda::Function',
        Metadata: { 'aws:cdk:path': 'Stack/Taskpulse/MonitorFunction/Resource' },
        Properties: {
          Environment: {
            Variables: {
              TOPIC: { Ref: 'Topic' },
              QUEUE_NAME: { 'Fn::GetAtt': ['Inbox', 'QueueName'] },
              JOINED: {
                'Fn::Join': [
                  '/',
                  [{ Ref: 'AWS::Region' }, { 'Fn::Select': [1, { 'Fn::Split': [':', { Ref: 'Topic' }] }] }],
                ],
              },
              // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
              SUBBED: { 'Fn::Sub': '${AWS::StackName}-${Inbox.QueueName}' },
            },
          },
          Timeout: 15,
        },
      },
      Every5Minutes: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ScheduleExpression: 'rate(5 minutes)',
          State: 'ENABLED',
          Targets: [
            { Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Id: 'Target0', Input: '{"rule":"failure-rate"}' },
          ],
        },
      },
      Nightly: {
        Type: 'AWS::Scheduler::Schedule',
        Properties: {
          ScheduleExpression: 'cron(5 0 * * ? *)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: { Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, RoleArn: 'arn:aws:iam::123456789012:role/x' },
        },
      },
      Skipped: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: '{}' } },
      Conditional: { Type: 'AWS::SQS::Queue', Condition: 'Never', Properties: {} },
    },
    Outputs: { TopicArn: { Value: { Ref: 'Topic' } } },
  };

  it('creates topics and subscriptions, resolves intrinsics and reads schedules', async () => {
    const notes: string[] = [];
    const stackName = uniqueName('LocalMisc');
    const stack = await createLocalResources(template, { ...options(stackName), log: (l) => notes.push(l) });

    const topicArn = stack.topics.Topic!.arn;
    expect(stack.outputs.TopicArn).toBe(topicArn);
    const { Subscriptions = [] } = await sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }),
    );
    expect(Subscriptions.map((s) => [s.Protocol, s.Endpoint])).toEqual([['sqs', stack.queues.Inbox!.arn]]);

    const fn = stack.functions[0]!;
    expect(fn.constructId).toBe('MonitorFunction');
    expect(fn.timeoutSeconds).toBe(15);
    expect(fn.environment).toEqual({
      TOPIC: topicArn,
      QUEUE_NAME: `${stackName}-Inbox`,
      JOINED: `us-east-1/aws`,
      SUBBED: `${stackName}-${stackName}-Inbox`,
    });
    expect(fn.schedules).toEqual([
      {
        logicalId: 'Every5Minutes',
        kind: 'events-rule',
        expression: 'rate(5 minutes)',
        input: '{"rule":"failure-rate"}',
        enabled: true,
      },
      { logicalId: 'Nightly', kind: 'scheduler', expression: 'cron(5 0 * * ? *)', enabled: true },
    ]);
    expect(stack.queues.Conditional).toBeUndefined();
    expect(stack.skipped).toContainEqual({ logicalId: 'Skipped', type: 'AWS::CloudWatch::Dashboard' });
    expect(notes.some((n) => n.includes('AWS::CloudWatch::Dashboard'))).toBe(true);
  });
});
