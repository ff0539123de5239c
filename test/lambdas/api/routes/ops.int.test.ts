import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, PurgeQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiDeps } from '../../../../lambdas/api/deps';
import { createApiHandler } from '../../../../lambdas/api/handler-factory';
import { AwsPipelineProbe, type PipelineLocation } from '../../../../lambdas/shared/aws/pipeline-probe';
import { PROM_METRIC } from '../../../../lambdas/shared/names/prometheus';
import { DynamoRunRecordStore } from '../../../../lambdas/shared/store/run-record-store';
import { motoClientConfig, uniqueName } from '../../../support/aws';
import { BASE_TIME_MS, makeLifecycle } from '../../../support/events';
import { readPrometheusText } from '../../../support/prometheus';
import { createTestTables, TestFeed, type TestTables } from '../../../support/tables';

/** A GET as API Gateway's REST proxy integration delivers it. */
const get = (path: string) =>
  ({
    httpMethod: 'GET',
    path,
    headers: {},
    queryStringParameters: null,
    requestContext: { requestId: 'test' },
  }) as unknown as APIGatewayProxyEvent;

describe('/health and /metrics on moto_server', () => {
  let tables: TestTables;
  let sqs: SQSClient;
  let cloudwatch: CloudWatchClient;
  let where: PipelineLocation;
  let runRecords: DynamoRunRecordStore;
  const depsAt = (nowMs: number): ApiDeps => ({
    doc: tables.doc,
    dynamodb: tables.client,
    streams: new DynamoDBStreamsClient(motoClientConfig()),
    historyTable: tables.historyTable,
    stateTable: tables.stateTable,
    pipeline: new AwsPipelineProbe(sqs, cloudwatch, where),
    now: () => nowMs,
  });

  beforeAll(async () => {
    tables = await createTestTables();
    sqs = new SQSClient(motoClientConfig());
    cloudwatch = new CloudWatchClient(motoClientConfig());
    const queue = async (name: string) =>
      (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName(name) }))).QueueUrl!;
    where = {
      eventsQueueUrl: await queue('events'),
      deadLetterQueueUrl: await queue('dlq'),
      aggregateFailureQueueUrl: await queue('agg-failures'),
      aggregateFunctionName: uniqueName('aggregate'),
    };
    runRecords = new DynamoRunRecordStore(tables.doc, tables.stateTable);
  });

  describe('/health', () => {
    beforeEach(async () => {
      for (const url of [where.eventsQueueUrl, where.deadLetterQueueUrl, where.aggregateFailureQueueUrl])
        await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
      await runRecords.record({ job: 'monitor', completedAtMs: Date.now() - 60_000, gauges: [] });
    });

    it('answers 200 when the queues are empty and the monitor ran recently', async () => {
      // Act
      const res = await createApiHandler(depsAt(Date.now()))(get('/health'));
      // Assess
      const body = JSON.parse(res.body);
      expect(res.statusCode).toBe(200);
      expect(body).toMatchObject({ healthy: true, reasons: [] });
      expect(body.signals).toMatchObject({
        queueDepth: 0,
        deadLetterDepth: 0,
        oldestMessageAgeSeconds: null,
      });
    });

    it('answers 503 naming the dead-letter queue when it holds messages', async () => {
      // Prepare
      await sqs.send(new SendMessageCommand({ QueueUrl: where.deadLetterQueueUrl, MessageBody: '{}' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: where.deadLetterQueueUrl, MessageBody: '{}' }));
      // Act
      const res = await createApiHandler(depsAt(Date.now()))(get('/health'));
      // Assess
      const body = JSON.parse(res.body);
      expect(res.statusCode).toBe(503);
      expect(body.healthy).toBe(false);
      expect(body.reasons).toEqual([
        expect.objectContaining({ check: 'deadLetterQueue', value: 2, limit: 0 }),
      ]);
    });

    it('answers 503 when the monitor stopped, and reads the queue age and aggregator lag from CloudWatch', async () => {
      // Prepare: what SQS and Lambda publish on AWS (moto publishes neither, so the test does).
      const nowMs = Date.now();
      await runRecords.record({ job: 'monitor', completedAtMs: nowMs - 3_600_000, gauges: [] });
      const queueName = where.eventsQueueUrl.slice(where.eventsQueueUrl.lastIndexOf('/') + 1);
      await cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'AWS/SQS',
          MetricData: [
            {
              MetricName: 'ApproximateAgeOfOldestMessage',
              Dimensions: [{ Name: 'QueueName', Value: queueName }],
              Timestamp: new Date(nowMs - 60_000),
              Value: 900,
              Unit: 'Seconds',
            },
          ],
        }),
      );
      await cloudwatch.send(
        new PutMetricDataCommand({
          Namespace: 'AWS/Lambda',
          MetricData: [
            {
              MetricName: 'IteratorAge',
              Dimensions: [{ Name: 'FunctionName', Value: where.aggregateFunctionName }],
              Timestamp: new Date(nowMs - 60_000),
              Value: 12_000,
              Unit: 'Milliseconds',
            },
          ],
        }),
      );
      // Act
      const res = await createApiHandler(depsAt(nowMs))(get('/health'));
      // Assess
      const body = JSON.parse(res.body);
      expect(res.statusCode).toBe(503);
      expect(body.signals).toMatchObject({ oldestMessageAgeSeconds: 900, aggregatorLagSeconds: 12 });
      expect(body.reasons.map((r: { check: string }) => r.check)).toEqual(['oldestMessageAge', 'monitorRun']);
    });
  });

  describe('/metrics', () => {
    const NOW = BASE_TIME_MS + 8 * 3_600_000;

    beforeAll(async () => {
      // Prepare: known data for one day, stored through the real ingest and aggregator.
      const feed = new TestFeed(tables);
      const lifecycles = [
        ...Array.from({ length: 5 }, (_, i) =>
          makeLifecycle({ taskType: 'send_invoice', startMs: BASE_TIME_MS + i * 600_000, runMs: 2_000 }),
        ),
        ...Array.from({ length: 2 }, (_, i) =>
          makeLifecycle({
            taskType: 'send_invoice',
            startMs: BASE_TIME_MS + i * 900_000,
            runMs: 2_000,
            attempts: 2,
            outcome: 'failed',
          }),
        ),
        ...Array.from({ length: 3 }, (_, i) =>
          makeLifecycle({ taskType: 'resize_image', startMs: BASE_TIME_MS + i * 60_000, runMs: 40_000 }),
        ),
        makeLifecycle({ taskType: 'resize_image', startMs: BASE_TIME_MS, outcome: 'running' }),
      ];
      await feed.send(lifecycles.flat(), NOW);
      await runRecords.record({
        job: 'monitor',
        completedAtMs: NOW - 60_000,
        gauges: [{ taskType: 'resize_image', running: 1, stuck: 1 }],
      });
      await sqs.send(new PurgeQueueCommand({ QueueUrl: where.eventsQueueUrl }));
      for (let i = 0; i < 3; i++)
        await sqs.send(new SendMessageCommand({ QueueUrl: where.eventsQueueUrl, MessageBody: '{}' }));
    });

    it('serves Prometheus text 0.0.4 that a Prometheus parser reads, with the stored counts', async () => {
      // Act
      const res = await createApiHandler(depsAt(NOW))(get('/metrics'));
      // Assess
      expect(res.statusCode).toBe(200);
      expect(res.headers?.['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      const { families, sampleValue } = readPrometheusText(res.body);
      expect(Object.fromEntries(families.map((f) => [f.name, f.type]))).toMatchObject({
        [PROM_METRIC.executionsTotal]: 'COUNTER',
        [PROM_METRIC.runDuration]: 'HISTOGRAM',
        [PROM_METRIC.waitDuration]: 'HISTOGRAM',
        [PROM_METRIC.runningExecutions]: 'GAUGE',
        [PROM_METRIC.queueMessages]: 'GAUGE',
      });
      const executions = (task_type: string, status: string) =>
        sampleValue(PROM_METRIC.executionsTotal, { task_type, status });
      expect(executions('send_invoice', 'succeeded')).toBe(5);
      expect(executions('send_invoice', 'failed')).toBe(2);
      expect(executions('resize_image', 'succeeded')).toBe(3);
      expect(sampleValue(PROM_METRIC.retriesTotal, { task_type: 'send_invoice' })).toBe(2);
    });

    it('derives cumulative le buckets from the stored run-time histograms', async () => {
      // Act
      const { sampleValue } = readPrometheusText((await createApiHandler(depsAt(NOW))(get('/metrics'))).body);
      // Assess: every send_invoice run took 2 s, every resize_image run 40 s.
      const bucket = (task_type: string, le: string) =>
        sampleValue(`${PROM_METRIC.runDuration}_bucket`, { task_type, le });
      expect([
        bucket('send_invoice', '1'),
        bucket('send_invoice', '2.5'),
        bucket('send_invoice', '+Inf'),
      ]).toEqual([0, 7, 7]);
      expect(sampleValue(`${PROM_METRIC.runDuration}_count`, { task_type: 'send_invoice' })).toBe(7);
      expect(sampleValue(`${PROM_METRIC.runDuration}_sum`, { task_type: 'send_invoice' })).toBe(14);
      expect([bucket('resize_image', '30'), bucket('resize_image', '60')]).toEqual([0, 3]);
    });

    it('shows the monitor gauges, the queue depths and the last run', async () => {
      // Act
      const { sampleValue } = readPrometheusText((await createApiHandler(depsAt(NOW))(get('/metrics'))).body);
      // Assess
      expect(sampleValue(PROM_METRIC.runningExecutions, { task_type: 'resize_image' })).toBe(1);
      expect(sampleValue(PROM_METRIC.stuckExecutions, { task_type: 'resize_image' })).toBe(1);
      expect(sampleValue(PROM_METRIC.queueMessages, { queue: 'events', state: 'visible' })).toBe(3);
      expect(sampleValue(PROM_METRIC.queueMessages, { queue: 'dead_letter', state: 'visible' })).toBe(0);
      expect(sampleValue(PROM_METRIC.lastRunTimestamp, { job_name: 'monitor' })).toBe((NOW - 60_000) / 1000);
    });
  });
});
