import { randomUUID } from 'node:crypto';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { ENV } from '../../lambdas/shared/names/env';
import {
  aggregatePartition,
  dayOf,
  executionKey,
  INDEX_SHARDS,
  quarantinePartition,
} from '../../lambdas/shared/names/keys';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { fromExecutionItem } from '../../lambdas/shared/store/execution-item';
import { FUNCTION_HANDLERS } from '../../local/function-registry';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { SummaryReader } from '../../local/summary';
import { motoClientConfig, uniqueName } from '../support/aws';
import { waitFor } from './fixtures/wait';

/**
 * End to end on the test moto_server: the runtime synthesizes the stack, has the emulator's
 * CloudFormation create it, runs the ingest and aggregate handlers in-process; raw messages sent to the
 * events queue end up as executions, quarantine items and aggregates.
 */

const RECORDER = { module: 'test/local/fixtures/recording-handler.ts' };
const recorded = () =>
  (globalThis as { __localRecorded?: { events: unknown[]; stage: string | undefined }[] }).__localRecorded ??
  [];

const sqs = new SQSClient(motoClientConfig());
const ddb = new DynamoDBClient(motoClientConfig());
let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startLocalRuntime({
    endpoint: inject('motoEndpoint'),
    region: 'us-east-1',
    stackName: uniqueName('LocalE2E'),
    // The schedules' target is replaced by a recorder; rate(5 minutes) at 300× fires every second.
    handlers: { ...FUNCTION_HANDLERS, MonitorFunction: RECORDER },
    accelerate: 300,
    // Keep the handlers quiet: the assertions read what they stored.
    environmentOverrides: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
});

afterAll(async () => {
  await runtime?.stop();
  sqs.destroy();
  ddb.destroy();
});

const nowIso = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

const eventOf = (overrides: Partial<TaskEvent>): TaskEvent => ({
  version: 1,
  eventId: randomUUID(),
  taskId: `task-${randomUUID().slice(0, 8)}`,
  taskType: 'send_invoice',
  status: 'started',
  occurredAt: nowIso(),
  attempt: 1,
  source: 'e2e-test',
  ...overrides,
});

const send = async (queueUrl: string, bodies: readonly string[]) => {
  for (let i = 0; i < bodies.length; i += 10) {
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody })),
      }),
    );
    expect(result.Failed ?? []).toEqual([]);
  }
};

describe('startLocalRuntime', () => {
  it("creates the stack with the emulator's CloudFormation and runs the registered functions", async () => {
    // Assess: the emulator has the stack, as `aws cloudformation describe-stacks` would show it
    const { stack } = runtime;
    const cfn = new CloudFormationClient(motoClientConfig());
    const { Stacks = [] } = await cfn.send(new DescribeStacksCommand({ StackName: stack.stackName }));
    cfn.destroy();
    expect(Stacks[0]?.StackStatus).toBe('CREATE_COMPLETE');
    // Queue URLs point at the emulator, not at the public host moto returns
    expect(stack.outputs[OUTPUT.eventsQueueUrl]).toMatch(
      new RegExp(`^${inject('motoEndpoint')}/.*${stack.stackName}`),
    );
    // Functions come with the environment, mappings and schedules the emulator created
    const fn = (id: string) => stack.functions.find((f) => f.constructId === id)!;
    expect(fn('IngestFunction').environment.TASKPULSE_HISTORY_TABLE).toBe(
      stack.outputs[OUTPUT.historyTableName],
    );
    expect(fn('IngestFunction').eventSources).toEqual([
      expect.objectContaining({
        kind: 'sqs',
        queueUrl: stack.outputs[OUTPUT.eventsQueueUrl],
        reportBatchItemFailures: true,
      }),
    ]);
    expect(fn('AggregateFunction').eventSources).toEqual([
      expect.objectContaining({
        kind: 'dynamodb',
        reportBatchItemFailures: true,
        filters: [expect.any(Object)],
      }),
    ]);
    // Queue URLs in environments name the emulator (moto answers with the public SQS host, which the
    // SDK would call instead of the endpoint: the read API's /health failed on it)
    expect(fn('ApiFunction').environment[ENV.deadLetterQueueUrl]).toBe(
      stack.outputs[OUTPUT.deadLetterQueueUrl],
    );
    for (const f of stack.functions)
      for (const value of Object.values(f.environment)) expect(value).not.toMatch(/^https:\/\/sqs\./);
    expect(fn('MonitorFunction').schedules.map((s) => s.expression)).toEqual(['rate(5 minutes)']);
    expect(fn('RollupFunction').schedules.map((s) => s.expression)).toEqual(['cron(30 0 * * ? *)']);
    expect(runtime.stats().sqs.map((s) => s.constructId)).toEqual(['IngestFunction']);
    expect(runtime.stats().streams.map((s) => s.constructId)).toEqual(['AggregateFunction']);
  });

  it('turns raw queue messages into executions, quarantine items and aggregates', async () => {
    // Prepare
    const { outputs } = runtime.stack;
    const queueUrl = outputs[OUTPUT.eventsQueueUrl]!;
    const historyTable = outputs[OUTPUT.historyTableName]!;
    const stateTable = outputs[OUTPUT.stateTableName]!;
    const taskType = `e2e_${randomUUID().slice(0, 6)}`;
    const ok = eventOf({ taskType, taskId: 'ok-1' });
    const okDone = {
      ...ok,
      eventId: randomUUID(),
      status: 'succeeded' as const,
      durationMs: 1200,
      occurredAt: nowIso(1200),
    };
    const failed = eventOf({
      taskType,
      taskId: 'bad-1',
      status: 'failed',
      error: { type: 'TimeoutError', message: 'late' },
    });
    const valid = [ok, okDone, failed].map((e) => JSON.stringify(e));
    const invalid = [
      '{"taskId": "t-1", "status": started',
      JSON.stringify({ ...eventOf({ taskType }), status: 'exploded' }),
    ];

    // Act
    await send(queueUrl, [...valid, ...invalid]);
    await runtime.waitIdle(30_000);

    // Assess: executions
    const execution = async (taskId: string) => {
      const { Item } = await ddb.send(
        new GetItemCommand({
          TableName: historyTable,
          Key: { pk: { S: executionKey(taskId).pk }, sk: { S: executionKey(taskId).sk } },
        }),
      );
      // Items store their events; the view (status, task type) is derived on read (decision 0023).
      return Item === undefined ? undefined : fromExecutionItem(unmarshall(Item)).execution;
    };
    expect(await execution('ok-1')).toMatchObject({ taskType, status: 'succeeded' });
    expect(await execution('bad-1')).toMatchObject({ taskType, status: 'failed' });

    // Assess: quarantine (keyed by the SQS send day)
    const day = dayOf(nowIso());
    const quarantined = [];
    for (let shard = 0; shard < INDEX_SHARDS; shard++) {
      const { Items = [] } = await ddb.send(
        new QueryCommand({
          TableName: historyTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: quarantinePartition(day, shard) } },
        }),
      );
      quarantined.push(...Items.map((i) => unmarshall(i)));
    }
    expect(quarantined.map((q) => q.code).sort()).toEqual(['not-json', 'schema']);
    expect(quarantined.find((q) => q.code === 'schema')?.reason).toContain('status');

    // Assess: aggregates of the task type (bucketed by finish time, today)
    const { Items: aggregates = [] } = await ddb.send(
      new QueryCommand({
        TableName: stateTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: aggregatePartition(taskType, day) } },
      }),
    );
    const totals = aggregates.map((i) => unmarshall(i)).reduce((sum, a) => sum + Number(a.n ?? 0), 0);
    expect(totals).toBe(2);

    // Assess: counters and the dead-letter queue
    const ingest = runtime.stats().sqs.find((s) => s.constructId === 'IngestFunction')!;
    expect(ingest.deleted).toBeGreaterThanOrEqual(5);
    const dlq = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: outputs[OUTPUT.deadLetterQueueUrl]!,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(dlq.Attributes?.ApproximateNumberOfMessages).toBe('0');
    const reader = new SummaryReader(runtime);
    const summary = await reader.read();
    reader.close();
    expect(summary).toMatchObject({ quarantined: 2, deadLetters: 0 });
    expect(summary.executions).toBeGreaterThanOrEqual(2);
    expect(summary.aggregated).toBeGreaterThanOrEqual(2);
  });

  it('fires scheduled functions on the accelerated clock with their environment', async () => {
    const monitor = runtime.stack.functions.find((f) => f.constructId === 'MonitorFunction')!;
    const fired = await waitFor('a scheduled monitor invocation', async () =>
      recorded().find((r) => r.events.length > 0),
    );
    expect(fired.stage).toBe(monitor.environment.TASKPULSE_STAGE);
    expect(fired.events[0]).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      resources: [monitor.schedules[0]!.arn],
    });
    expect(runtime.stats().schedules.find((s) => s.constructId === 'MonitorFunction')?.fired).toBeGreaterThan(
      0,
    );
  });
});
