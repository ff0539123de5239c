import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { synthTemplate } from '../../infra/synth';
import { createAggregateHandler } from '../../lambdas/aggregate/handler-factory';
import { createIngestHandler } from '../../lambdas/ingest/handler-factory';
import { documentClient } from '../../lambdas/shared/aws/clients';
import { OUTPUT } from '../../lambdas/shared/names/outputs';
import { DynamoAggregateStore } from '../../lambdas/shared/store/aggregate-store';
import { DynamoHistoryStore } from '../../lambdas/shared/store/history-store';
import { deployLocalStack } from '../../local/deploy';
import type { LocalStack } from '../../local/stack-types';
import { DynamoStreamPoller } from '../../local/stream-poller';
import { motoClientConfig, uniqueName } from './aws';
import { sqsEventOf, type TestMessage } from './sqs-event';

/**
 * A Taskpulse stack on moto_server for integration tests: created by the emulator's CloudFormation
 * from the synthesized template, the real ingest and aggregate handlers run in-process against it
 * over the wire.
 */

export { messageOf, sqsEventOf, type TestMessage } from './sqs-event';

export interface TestPipeline {
  readonly stack: LocalStack;
  readonly historyTable: string;
  readonly stateTable: string;
  readonly client: DynamoDBClient;
  /** Deliver one batch to the ingest handler; returns the ids of records that must come back. */
  deliver(messages: readonly TestMessage[]): Promise<string[]>;
  /** Feed everything in the history table's stream to the aggregate handler, as the mapping would. */
  aggregate(): Promise<void>;
  /** Stop the stream poller. */
  close(): Promise<void>;
  /** Items of a table, unmarshalled, sorted by key. */
  scan(table: string): Promise<Record<string, unknown>[]>;
}

/** Options of `createTestPipeline`. */
interface TestPipelineOptions {
  /** The ingest clock. */
  readonly nowMs: number;
  /** Configured aggregate dimensions. @default ['marketplace'] */
  readonly dimensions?: readonly string[];
  /** A client to use for ingest writes (e.g. one with a fault-injecting middleware). */
  readonly ingestClient?: DynamoDBClient;
  /**
   * Run the aggregator behind the history table's stream. A test that only reads the history table
   * turns it off: the poller's aggregate writes double the emulator's work. @default true
   */
  readonly aggregate?: boolean;
}

const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

export const createTestPipeline = async (options: TestPipelineOptions): Promise<TestPipeline> => {
  const aws = motoClientConfig();
  const dimensions = options.dimensions ?? ['marketplace'];
  const { stackName, template } = synthTemplate({
    stackName: uniqueName('tp'),
    props: { aggregateDimensions: dimensions },
  });
  const stack = await deployLocalStack({ endpoint: aws.endpoint, region: aws.region, stackName, template });
  const historyTable = stack.outputs[OUTPUT.historyTableName]!;
  const stateTable = stack.outputs[OUTPUT.stateTableName]!;
  const client = new DynamoDBClient(aws);
  const ingest = createIngestHandler({
    store: new DynamoHistoryStore(documentClient(options.ingestClient ?? client), historyTable, 30),
    ttlDays: 30,
    logger: silent,
    now: () => options.nowMs,
  });
  const aggregateHandler = createAggregateHandler({
    store: new DynamoAggregateStore(documentClient(client), stateTable, 400),
    dimensionKeys: dimensions,
    logger: silent,
  });
  const streamSource = stack.functions.flatMap((f) => f.eventSources).find((s) => s.kind === 'dynamodb');
  if (streamSource === undefined) throw new Error('the template has no stream event source');
  const poller = new DynamoStreamPoller({
    client: new DynamoDBStreamsClient(aws),
    // Without the mapping's 5 s batching window, which every `aggregate()` would wait out once (it only
    // groups records into larger invocations; the tumbling window is still played), and with short
    // pauses: tests wait on the poller, nothing else polls the emulator's stream.
    source: { ...streamSource, maximumBatchingWindowSeconds: 0 },
    handler: aggregateHandler,
    pollIntervalMs: 20,
    maxIdlePollMs: 200,
    retryDelayMs: 20,
  });
  if (options.aggregate !== false) await poller.start();
  return {
    stack,
    historyTable,
    stateTable,
    client,
    deliver: async (messages) =>
      (await ingest(sqsEventOf(messages))).batchItemFailures.map((f) => f.itemIdentifier),
    aggregate: async () => {
      if (options.aggregate === false) throw new Error('this pipeline was created with aggregate: false');
      await poller.waitIdle(60_000);
    },
    close: () => poller.stop(),
    scan: async (table) => {
      const items: Record<string, unknown>[] = [];
      for await (const page of paginateScan({ client }, { TableName: table, ConsistentRead: true })) {
        for (const item of page.Items ?? []) items.push(unmarshall(item));
      }
      return items.sort((a, b) => `${a.pk}\n${a.sk}`.localeCompare(`${b.pk}\n${b.sk}`));
    },
  };
};
