import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type CfnTemplate, synthTemplate } from '../../infra/synth';
import { createAggregateHandler } from '../../lambdas/aggregate/handler-factory';
import { parseMonitorConfig } from '../../lambdas/domain/rules/config';
import { createIngestHandler } from '../../lambdas/ingest/handler-factory';
import { createMonitorHandler, type MonitorSummary } from '../../lambdas/monitor/handler-factory';
import { type RollupOutcome, runRollup } from '../../lambdas/rollup/run-rollup';
import { type AlertPublisher, SnsAlertPublisher } from '../../lambdas/shared/aws/alert-publisher';
import { documentClient } from '../../lambdas/shared/aws/clients';
import { ENV } from '../../lambdas/shared/names/env';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { DynamoAggregateReader } from '../../lambdas/shared/store/aggregate-reader';
import { DynamoAggregateStore } from '../../lambdas/shared/store/aggregate-store';
import { DynamoAlertStateStore } from '../../lambdas/shared/store/alert-state-store';
import { DynamoHistoryStore } from '../../lambdas/shared/store/history-store';
import { DynamoRollupStore } from '../../lambdas/shared/store/rollup-store';
import { DynamoRunLookup } from '../../lambdas/shared/store/run-lookup';
import { deployLocalStack } from '../../local/deploy';
import type { LocalStack, SqsEventSource } from '../../local/stack-types';
import { DynamoStreamPoller, type StreamHandler, type StreamPollerStats } from '../../local/stream-poller';
import type { FaultInjector, FaultPlacement } from '../../test/support/faults';

/**
 * One Taskpulse stack on moto_server for a torture scenario: resources created from the synthesized
 * template, and the real handlers (ingest, aggregator, rollup, monitor) built from their factories
 * in-process, each on its own SDK clients so a scenario can attach a `FaultInjector` to one role.
 * The aggregator is fed by the local stream poller (the stream event source mapping's semantics).
 */

/** How a torture stack is built. */
interface TortureStackOptions {
  readonly endpoint: string;
  /** The ingest clock, ms since the epoch (events are judged against it). */
  readonly nowMs: number;
  /** Aggregate dimensions. @default ['marketplace'] */
  readonly dimensions?: readonly string[];
  /** Faults on the ingest function's DynamoDB client. @default none */
  readonly ingestFaults?: FaultInjector;
  /** Faults on the aggregator function's DynamoDB client. @default none */
  readonly aggregateFaults?: FaultInjector;
  /** Faults on the monitor function's DynamoDB and SNS clients. @default none */
  readonly monitorFaults?: FaultInjector;
  /** Where the injectors sit relative to the SDK's retries. @default 'caller' */
  readonly placement?: FaultPlacement;
  /**
   * Called with each role's DynamoDB client before use (the comparison bench attaches its cost meter
   * here); the rollup then gets a client of its own. @default none
   */
  readonly instrument?: (client: DynamoDBClient, role: 'ingest' | 'aggregate' | 'rollup' | 'monitor') => void;
  /**
   * Start the aggregator's stream poller at the first `aggregate()` instead of now, so it reads the
   * stream in full batches as it would at production rates (the comparison bench). @default false
   */
  readonly deferAggregator?: boolean;
  /**
   * Play the stream mapping's batching window (5 s) too. It only groups records into larger
   * invocations, and every `aggregate()` would wait it out once (most of a small torture scenario's
   * time), so the scenarios go without it; the tumbling window, whose state and final invocation are
   * the protocol under test, is played either way. The comparison bench keeps it: its cost per event
   * depends on batch sizes. @default false
   */
  readonly streamBatchingWindow?: boolean;
  /** Wraps the aggregator's stream handler (the comparison bench times its batches). @default none */
  readonly wrapAggregate?: (handler: StreamHandler) => StreamHandler;
  /**
   * When a stream record reached the stream, epoch seconds: decides its tumbling window (the
   * comparison bench replays records at the stream's design rate, not moto's pace). @default the
   * record's creation time
   */
  readonly arrivalSecondsOf?: (record: DynamoDBRecord) => number | undefined;
}

export interface TortureStack {
  readonly stack: LocalStack;
  /** The synthesized template the stack was created from (event source settings the emulator drops). */
  readonly template: CfnTemplate;
  readonly historyTable: string;
  readonly stateTable: string;
  readonly eventsQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly alertTopicArn: string;
  /** The events queue's `maxReceiveCount` (receives before SQS moves a message to the DLQ). */
  readonly maxReceiveCount: number;
  /** The ingest event source mapping's batch size. */
  readonly batchSize: number;
  /** The ingest event source mapping (for a real SQS poller). */
  readonly sqsSource: SqsEventSource;
  /** Clients without faults, for setting up and reading back. */
  readonly clients: { readonly dynamo: DynamoDBClient; readonly sqs: SQSClient; readonly sns: SNSClient };
  /** The ingest Lambda handler. */
  ingest(event: SQSEvent): Promise<SQSBatchResponse>;
  /** Apply every change in the history stream so far through the aggregator (as the mapping would). */
  aggregate(timeoutMs?: number): Promise<void>;
  /** Counters of the stream poller. */
  streamStats(): StreamPollerStats;
  /** Roll up days `from`..`to` (UTC `YYYY-MM-DD`) with the rollup use case. */
  rollup(from: string, to: string, nowMs: number): Promise<RollupOutcome>;
  /** One scheduled monitor invocation at `nowMs`. */
  monitor(nowMs: number): Promise<MonitorSummary>;
  /**
   * The `kind` attribute of every alert message a monitor invocation handed to SNS (publish returned),
   * in order. Counted above the SDK: a Publish the SDK retried after a lost answer is one entry here
   * but may arrive twice at a subscriber (with the same `notificationId`).
   */
  published(): readonly string[];
  /** Items of a table, unmarshalled, sorted by key. */
  scan(table: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

const silent = new Logger({ serviceName: 'torture', logLevel: 'SILENT' });
const credentials = { accessKeyId: 'torture', secretAccessKey: 'torture' };

export const createTortureStack = async (options: TortureStackOptions): Promise<TortureStack> => {
  const aws = { endpoint: options.endpoint, region: 'us-east-1', credentials };
  const dimensions = options.dimensions ?? ['marketplace'];
  const { stackName, template } = synthTemplate({
    stackName: `torture-${randomUUID().slice(0, 8)}`,
    props: { aggregateDimensions: dimensions },
  });
  const stack = await deployLocalStack({ endpoint: aws.endpoint, region: aws.region, stackName, template });
  const out = (name: string) => {
    const value = stack.outputs[name];
    if (value === undefined) throw new Error(`the stack has no output ${name}`);
    return value;
  };
  const historyTable = out(OUTPUT.historyTableName);
  const stateTable = out(OUTPUT.stateTableName);
  const eventsQueueUrl = out(OUTPUT.eventsQueueUrl);
  const { Attributes } = await new SQSClient(aws).send(
    new GetQueueAttributesCommand({ QueueUrl: eventsQueueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  const redrivePolicy =
    Attributes?.RedrivePolicy === undefined
      ? undefined
      : (JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount: number | string });
  const sources = stack.functions.flatMap((f) => f.eventSources);
  const sqsSource = sources.find((s) => s.kind === 'sqs');
  const streamSource = sources.find((s) => s.kind === 'dynamodb');
  const monitorFn = stack.functions.find((f) => f.environment[ENV.monitorConfig] !== undefined);
  if (redrivePolicy === undefined || sqsSource === undefined || streamSource === undefined || !monitorFn)
    throw new Error('the template lacks the events queue redrive policy, a mapping or the monitor');

  const dynamo = (
    role: Parameters<NonNullable<TortureStackOptions['instrument']>>[1],
    faults?: FaultInjector,
  ) => {
    const client = new DynamoDBClient(aws);
    options.instrument?.(client, role);
    return faults === undefined ? client : faults.attach(client, options.placement);
  };
  const plain = new DynamoDBClient(aws);
  const ingestDoc = documentClient(dynamo('ingest', options.ingestFaults));
  const monitorDoc = documentClient(dynamo('monitor', options.monitorFaults));
  const monitorSns = new SNSClient(aws);
  options.monitorFaults?.attach(monitorSns, options.placement);
  const readDoc = documentClient(plain);
  const rollupDoc = options.instrument === undefined ? readDoc : documentClient(dynamo('rollup'));
  const aggregateHandler = createAggregateHandler({
    store: new DynamoAggregateStore(
      documentClient(dynamo('aggregate', options.aggregateFaults)),
      stateTable,
      400,
    ),
    dimensionKeys: dimensions,
    logger: silent,
  });

  const ingest = createIngestHandler({
    store: new DynamoHistoryStore(ingestDoc, historyTable, 30),
    ttlDays: 30,
    logger: silent,
    now: () => options.nowMs,
  });
  const poller = new DynamoStreamPoller({
    client: new DynamoDBStreamsClient(aws),
    source:
      options.streamBatchingWindow === true
        ? streamSource
        : { ...streamSource, maximumBatchingWindowSeconds: 0 },
    handler: options.wrapAggregate?.(aggregateHandler) ?? aggregateHandler,
    ...(options.arrivalSecondsOf !== undefined && { arrivalSecondsOf: options.arrivalSecondsOf }),
    pollIntervalMs: 20,
    maxIdlePollMs: 200,
    retryDelayMs: 20,
  });
  if (options.deferAggregator !== true) await poller.start();
  const published: string[] = [];
  const snsPublisher = new SnsAlertPublisher(monitorSns, out(OUTPUT.alertTopicArn));
  const countingPublisher: AlertPublisher = {
    publish: async (message) => {
      await snsPublisher.publish(message);
      published.push(message.attributes.kind ?? '?');
    },
  };
  const monitorConfig = parseMonitorConfig(monitorFn.environment[ENV.monitorConfig]!, ENV.monitorConfig);
  const alertTopicArn = out(OUTPUT.alertTopicArn);

  return {
    stack,
    template,
    historyTable,
    stateTable,
    eventsQueueUrl,
    deadLetterQueueUrl: out(OUTPUT.deadLetterQueueUrl),
    alertTopicArn,
    maxReceiveCount: Number(redrivePolicy.maxReceiveCount),
    batchSize: sqsSource.batchSize,
    sqsSource,
    clients: { dynamo: plain, sqs: new SQSClient(aws), sns: new SNSClient(aws) },
    ingest,
    aggregate: async (timeoutMs = 30 * 60_000) => {
      await poller.start();
      await poller.waitIdle(timeoutMs);
    },
    streamStats: () => poller.stats(),
    rollup: (from, to, nowMs) =>
      runRollup(
        {
          aggregates: new DynamoAggregateReader(rollupDoc, stateTable),
          rollups: new DynamoRollupStore(rollupDoc, stateTable),
          now: () => nowMs,
        },
        from,
        to,
      ),
    monitor: (nowMs) =>
      createMonitorHandler({
        aggregates: new DynamoAggregateReader(monitorDoc, stateTable),
        runs: new DynamoRunLookup(monitorDoc, historyTable),
        states: new DynamoAlertStateStore(monitorDoc, stateTable),
        publisher: countingPublisher,
        config: monitorConfig,
        stage: monitorFn.environment[ENV.stage] ?? 'torture',
        now: () => nowMs,
      })(),
    published: () => [...published],
    scan: async (table) => {
      const items: Record<string, unknown>[] = [];
      for await (const page of paginateScan({ client: plain }, { TableName: table, ConsistentRead: true })) {
        for (const item of page.Items ?? []) items.push(unmarshall(item));
      }
      return items.sort((a, b) => `${a.pk}\n${a.sk}`.localeCompare(`${b.pk}\n${b.sk}`));
    },
    close: () => poller.stop(),
  };
};
