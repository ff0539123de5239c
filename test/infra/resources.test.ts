import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ATTR, INDEX } from '../../lambdas/shared/names/keys';
import { defaultStack, resourcesOfType, type Synthesized, synthStack } from './support/synth';

/** Intent of the core resources: encryption, TLS only, the event source mappings, retention and runtime. */
describe('Taskpulse resources', () => {
  let synth: Synthesized;
  const id = (construct: { node: { defaultChild?: unknown } }) =>
    synth.stack.getLogicalId(construct.node.defaultChild as never);

  beforeAll(() => {
    synth = defaultStack();
  });

  it('encrypts every queue and allows only TLS to it', () => {
    const queues = resourcesOfType(synth.resources, 'AWS::SQS::Queue');
    expect(queues.length).toBeGreaterThanOrEqual(3);
    for (const [queueId, queue] of queues) {
      expect(
        queue.Properties?.SqsManagedSseEnabled ?? queue.Properties?.KmsMasterKeyId,
        queueId,
      ).toBeTruthy();
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('encrypts the alert topic with a rotating customer-managed key and allows only TLS publishing', () => {
    const tp = synth.stack.taskpulse;
    synth.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [id(tp.alertKey), 'Arn'] },
    });
    synth.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: id(tp.alertTopic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('encrypts both tables, with point-in-time recovery and TTL', () => {
    const tables = resourcesOfType(synth.resources, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(2);
    for (const [tableId, table] of tables) {
      expect(table.Properties?.SSESpecification, tableId).toEqual({ SSEEnabled: true });
      expect(table.Properties?.PointInTimeRecoverySpecification, tableId).toEqual({
        PointInTimeRecoveryEnabled: true,
      });
      expect(table.Properties?.TimeToLiveSpecification, tableId).toEqual({
        AttributeName: ATTR.expiresAt,
        Enabled: true,
      });
      expect(table.Properties?.BillingMode, tableId).toBe('PAY_PER_REQUEST');
    }
  });

  it('indexes executions of a job in a sparse KEYS_ONLY index on their own jobId and pk', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: INDEX.byJob,
          KeySchema: [
            { AttributeName: ATTR.jobId, KeyType: 'HASH' },
            { AttributeName: ATTR.pk, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ]),
    });
  });

  it('maps the events queue to ingest in batches of 100 with a window, partial failures and a concurrency cap', () => {
    const tp = synth.stack.taskpulse;
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id(tp.ingestFunction) },
      EventSourceArn: { 'Fn::GetAtt': [id(tp.eventsQueue), 'Arn'] },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 2,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 20 },
    });
  });

  it('sends a message to the dead-letter queue after 5 receives', () => {
    const tp = synth.stack.taskpulse;
    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [id(tp.deadLetterQueue), 'Arn'] },
        maxReceiveCount: 5,
      },
    });
  });

  it('gives the events queue a visibility timeout of at least 6× the ingest timeout', () => {
    const tp = synth.stack.taskpulse;
    const queue = synth.resources[id(tp.eventsQueue)]?.Properties;
    const fn = synth.resources[id(tp.ingestFunction)]?.Properties;
    expect(Number(queue?.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * Number(fn?.Timeout));
  });

  it('keeps the visibility rule when the ingest timeout is configured', () => {
    const custom = synthStack({ ingest: { timeout: Duration.seconds(50) } });
    const tp = custom.stack.taskpulse;
    const queue = custom.resources[custom.stack.getLogicalId(tp.eventsQueue.node.defaultChild as never)];
    expect(queue?.Properties?.VisibilityTimeout).toBe(300);
  });

  it('runs every function on Node.js 22 on arm64', () => {
    const functions = resourcesOfType(synth.resources, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(2);
    for (const [fnId, fn] of functions) {
      expect(fn.Properties?.Runtime, fnId).toBe('nodejs22.x');
      expect(fn.Properties?.Architectures, fnId).toEqual(['arm64']);
    }
  });

  it('reports partial batch failures from the aggregator and sends expired records to its failure queue', () => {
    const tp = synth.stack.taskpulse;
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id(tp.aggregateFunction) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [id(tp.aggregateFailureQueue), 'Arn'] } },
      },
    });
  });
});
