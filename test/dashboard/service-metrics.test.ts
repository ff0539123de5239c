import { describe, expect, it } from 'vitest';
import {
  dynamoMetricsOf,
  type InvocationRecord,
  lambdaMetricsOf,
  missingServiceMetricReason,
  queueMetricsOf,
  requestUnitsOf,
  sentBetween,
} from '../../dashboard/aws/service-metrics';
import type { EmfDatum } from '../../dashboard/emf/parse-emf';

/** The AWS service metrics local mode derives from its own invocations, requests and queue attributes. */

const T = Date.UTC(2026, 10, 30, 12, 0, 0);
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:Dash-EventsQueue-ABC';

const invocation = (overrides: Partial<InvocationRecord> = {}): InvocationRecord => ({
  functionName: 'Dash-IngestFunction-XYZ',
  startMs: T,
  durationMs: 42,
  error: false,
  concurrent: 2,
  event: {},
  response: undefined,
  ...overrides,
});

const sqsRecord = (id: string, receiveCount: string, sentMs: number, body = '{"a":1}') => ({
  messageId: id,
  body,
  eventSource: 'aws:sqs',
  eventSourceARN: QUEUE_ARN,
  attributes: { ApproximateReceiveCount: receiveCount, SentTimestamp: String(sentMs) },
});

/** `namespace name` → [dimensions, timestamp, values, unit], for compact assertions. */
const byName = (data: EmfDatum[]) =>
  Object.fromEntries(
    data.map((d) => [`${d.namespace} ${d.name}`, [d.dimensions, d.timestampMs, d.values, d.unit]]),
  );

describe('lambdaMetricsOf', () => {
  it('gives the AWS/Lambda metrics of a scheduled invocation, by physical function name', () => {
    // Act
    const data = lambdaMetricsOf(invocation({ error: true }));

    // Assess
    const fn = { FunctionName: 'Dash-IngestFunction-XYZ' };
    expect(byName(data)).toEqual({
      'AWS/Lambda Invocations': [fn, T, [1], 'Count'],
      'AWS/Lambda Errors': [fn, T, [1], 'Count'],
      'AWS/Lambda Throttles': [fn, T, [0], 'Count'],
      'AWS/Lambda Duration': [fn, T, [42], 'Milliseconds'],
      'AWS/Lambda ConcurrentExecutions': [fn, T, [2], 'Count'],
    });
  });

  it('counts an SQS batch received, the messages not reported failed as deleted, and first receives as sent at their SentTimestamp', () => {
    // Prepare: two first receives (sent a minute earlier), one redelivery; one failure reported.
    const event = {
      Records: [
        sqsRecord('a', '1', T - 60_000, 'ab'),
        sqsRecord('b', '1', T - 61_000, 'abcd'),
        sqsRecord('c', '3', T - 1),
      ],
    };

    // Act
    const data = lambdaMetricsOf(
      invocation({ event, response: { batchItemFailures: [{ itemIdentifier: 'c' }] } }),
    );

    // Assess
    const queue = { QueueName: 'Dash-EventsQueue-ABC' };
    const sqs = data.filter((d) => d.namespace === 'AWS/SQS');
    expect(sqs).toEqual([
      {
        namespace: 'AWS/SQS',
        name: 'NumberOfMessagesReceived',
        unit: 'Count',
        dimensions: queue,
        timestampMs: T,
        values: [3],
      },
      {
        namespace: 'AWS/SQS',
        name: 'NumberOfMessagesDeleted',
        unit: 'Count',
        dimensions: queue,
        timestampMs: T + 42,
        values: [2],
      },
      {
        namespace: 'AWS/SQS',
        name: 'NumberOfMessagesSent',
        unit: 'Count',
        dimensions: queue,
        timestampMs: T - 60_000,
        values: [1],
      },
      {
        namespace: 'AWS/SQS',
        name: 'SentMessageSize',
        unit: 'Bytes',
        dimensions: queue,
        timestampMs: T - 60_000,
        values: [2],
      },
      {
        namespace: 'AWS/SQS',
        name: 'NumberOfMessagesSent',
        unit: 'Count',
        dimensions: queue,
        timestampMs: T - 61_000,
        values: [1],
      },
      {
        namespace: 'AWS/SQS',
        name: 'SentMessageSize',
        unit: 'Bytes',
        dimensions: queue,
        timestampMs: T - 61_000,
        values: [4],
      },
    ]);
  });

  it('deletes nothing of a batch whose handler threw', () => {
    const data = lambdaMetricsOf(invocation({ error: true, event: { Records: [sqsRecord('a', '2', T)] } }));
    expect(byName(data)['AWS/SQS NumberOfMessagesDeleted']?.[2]).toEqual([0]);
  });

  it('gives the IteratorAge of a stream batch: the age of its last record when the invocation started', () => {
    // Prepare
    const record = (createdSeconds: number) => ({
      eventSource: 'aws:dynamodb',
      dynamodb: { ApproximateCreationDateTime: createdSeconds },
    });

    // Act
    const data = lambdaMetricsOf(
      invocation({ event: { Records: [record(T / 1000 - 9), record(T / 1000 - 3)] } }),
    );

    // Assess
    expect(byName(data)['AWS/Lambda IteratorAge']).toEqual([
      { FunctionName: 'Dash-IngestFunction-XYZ' },
      T,
      [3_000],
      'Milliseconds',
    ]);
    expect(data.some((d) => d.namespace === 'AWS/SQS')).toBe(false);
  });
});

describe('queueMetricsOf', () => {
  it('gives the visible and in-flight counts, and an age of 0 only for an empty queue', () => {
    const queue = { QueueName: 'q' };
    expect(
      byName(
        queueMetricsOf(
          'q',
          { ApproximateNumberOfMessages: '5', ApproximateNumberOfMessagesNotVisible: '2' },
          T,
        ),
      ),
    ).toEqual({
      'AWS/SQS ApproximateNumberOfMessagesVisible': [queue, T, [5], 'Count'],
      'AWS/SQS ApproximateNumberOfMessagesNotVisible': [queue, T, [2], 'Count'],
    });
    expect(
      byName(
        queueMetricsOf(
          'q',
          { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' },
          T,
        ),
      )['AWS/SQS ApproximateAgeOfOldestMessage'],
    ).toEqual([queue, T, [0], 'Seconds']);
  });
});

describe('sentBetween', () => {
  it('counts the growth of a queue nobody consumes as sent, none for a dead-letter queue', () => {
    expect(sentBetween(3, 7, false)).toBe(4);
    expect(sentBetween(7, 3, false)).toBe(0);
    expect(sentBetween(undefined, 7, false)).toBeUndefined();
    expect(sentBetween(3, 7, true)).toBe(0);
  });

  it('is sent with the queue gauges when known', () => {
    const data = byName(queueMetricsOf('q', { ApproximateNumberOfMessages: '4' }, T, 2));
    expect(data['AWS/SQS NumberOfMessagesSent']).toEqual([{ QueueName: 'q' }, T, [2], 'Count']);
  });
});

describe('dynamoMetricsOf', () => {
  const request = {
    tableName: 't',
    operation: 'PutItem',
    atMs: T,
    latencyMs: 7,
    readUnits: 0,
    writeUnits: 2,
  };

  it('gives latency by table and operation, units by table, and zero errors for a successful write', () => {
    expect(byName(dynamoMetricsOf({ ...request, outcome: 'ok' }))).toEqual({
      'AWS/DynamoDB ConsumedReadCapacityUnits': [{ TableName: 't' }, T, [0], 'Count'],
      'AWS/DynamoDB ConsumedWriteCapacityUnits': [{ TableName: 't' }, T, [2], 'Count'],
      'AWS/DynamoDB SystemErrors': [{ TableName: 't', Operation: 'PutItem' }, T, [0], 'Count'],
      'AWS/DynamoDB SuccessfulRequestLatency': [
        { TableName: 't', Operation: 'PutItem' },
        T,
        [7],
        'Milliseconds',
      ],
      'AWS/DynamoDB WriteThrottleEvents': [{ TableName: 't' }, T, [0], 'Count'],
    });
  });

  it('counts a throttled read as a read throttle event, a server fault as a system error, with no latency', () => {
    const throttled = byName(dynamoMetricsOf({ ...request, operation: 'Query', outcome: 'throttled' }));
    expect(throttled['AWS/DynamoDB ReadThrottleEvents']?.[2]).toEqual([1]);
    expect(throttled['AWS/DynamoDB SuccessfulRequestLatency']).toBeUndefined();
    expect(
      byName(dynamoMetricsOf({ ...request, outcome: 'system-error' }))['AWS/DynamoDB SystemErrors']?.[2],
    ).toEqual([1]);
    expect(byName(dynamoMetricsOf({ ...request, outcome: 'user-error' }))['AWS/DynamoDB UserErrors']).toEqual(
      [{}, T, [1], 'Count'],
    );
  });
});

describe('requestUnitsOf', () => {
  const kb = (n: number) => ({ S: 'x'.repeat(n * 1024) });

  it('charges reads by 4 KB of what came back, halved when eventually consistent, at least one unit', () => {
    expect(
      requestUnitsOf('GetItem', { TableName: 't', ConsistentRead: true }, { Item: { v: kb(5) } }, 'ok'),
    ).toEqual([{ tableName: 't', readUnits: 2, writeUnits: 0 }]);
    expect(
      requestUnitsOf('Query', { TableName: 't' }, { Items: [{ v: kb(3) }, { v: kb(3) }] }, 'ok'),
    ).toEqual([{ tableName: 't', readUnits: 1, writeUnits: 0 }]);
    expect(requestUnitsOf('GetItem', { TableName: 't' }, {}, 'ok')).toEqual([
      { tableName: 't', readUnits: 0.5, writeUnits: 0 },
    ]);
  });

  it('charges writes by 1 KB of what was sent, doubled in a transaction, one unit for a refused condition', () => {
    expect(requestUnitsOf('PutItem', { TableName: 't', Item: { v: kb(2) } }, {}, 'ok')).toEqual([
      { tableName: 't', readUnits: 0, writeUnits: 3 },
    ]);
    expect(
      requestUnitsOf(
        'TransactWriteItems',
        {
          TransactItems: [
            { Put: { TableName: 'a', Item: { v: { S: 'x' } } } },
            { Update: { TableName: 'b' } },
          ],
        },
        {},
        'ok',
      ),
    ).toEqual([
      { tableName: 'a', readUnits: 0, writeUnits: 2 },
      { tableName: 'b', readUnits: 0, writeUnits: 2 },
    ]);
    expect(
      requestUnitsOf('PutItem', { TableName: 't', Item: { v: kb(9) } }, undefined, 'condition-failed'),
    ).toEqual([{ tableName: 't', readUnits: 0, writeUnits: 1 }]);
  });
});

describe('missingServiceMetricReason', () => {
  it('says why a metric the runtime cannot measure is empty', () => {
    expect(missingServiceMetricReason('ProvisionedConcurrencySpilloverInvocations')).toMatch(
      /no provisioned concurrency/,
    );
    expect(missingServiceMetricReason('Invocations')).toMatch(/once it has happened there/);
  });
});
