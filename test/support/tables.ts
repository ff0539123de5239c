import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { aggregateChanges } from '../../lambdas/aggregate/aggregate-changes';
import { toExecutionChanges } from '../../lambdas/aggregate/stream-records';
import { ingestBatch } from '../../lambdas/ingest/ingest-batch';
import { documentClient } from '../../lambdas/shared/aws/clients';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { ATTR, INDEX } from '../../lambdas/shared/names/keys';
import { DynamoAggregateStore } from '../../lambdas/shared/store/aggregate-store';
import { DynamoHistoryStore } from '../../lambdas/shared/store/history-store';
import { motoClientConfig, uniqueName } from './aws';

/**
 * History and state tables on moto_server with the key schemas of `infra/taskpulse.ts` (same `ATTR`
 * and `INDEX` names), and a feed that runs the real ingest and aggregate use cases over them: events →
 * `ingestBatch` → history table → its stream (read over the wire) → `aggregateChanges` → state table.
 *
 * Kept small on purpose: tests that need the stack's own tables deploy the synthesized template with
 * `test/support/pipeline.ts` instead.
 */

export interface TestTables {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly historyTable: string;
  readonly stateTable: string;
}

const keySchema = (pk: string, sk: string) => [
  { AttributeName: pk, KeyType: 'HASH' as const },
  { AttributeName: sk, KeyType: 'RANGE' as const },
];

/** Create a history table (stream, byType, byStatus and byJob KEYS_ONLY indexes) and a state table. */
export const createTestTables = async (): Promise<TestTables> => {
  const client = new DynamoDBClient(motoClientConfig());
  const historyTable = uniqueName('history');
  const stateTable = uniqueName('state');
  const s = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
  await client.send(
    new CreateTableCommand({
      TableName: historyTable,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: keySchema(ATTR.pk, ATTR.sk),
      AttributeDefinitions: [
        s(ATTR.pk),
        s(ATTR.sk),
        s(ATTR.gsi1pk),
        s(ATTR.gsi1sk),
        s(ATTR.gsi2pk),
        s(ATTR.gsi2sk),
        s(ATTR.jobId),
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: INDEX.byType,
          KeySchema: keySchema(ATTR.gsi1pk, ATTR.gsi1sk),
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: INDEX.byStatus,
          KeySchema: keySchema(ATTR.gsi2pk, ATTR.gsi2sk),
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: INDEX.byJob,
          KeySchema: keySchema(ATTR.jobId, ATTR.pk),
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await client.send(
    new CreateTableCommand({
      TableName: stateTable,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: keySchema(ATTR.pk, ATTR.sk),
      AttributeDefinitions: [s(ATTR.pk), s(ATTR.sk)],
    }),
  );
  return { client, doc: documentClient(client), historyTable, stateTable };
};

/** Runs events through the real ingest and aggregate use cases into a pair of test tables. */
export class TestFeed {
  private readonly streams = new DynamoDBStreamsClient(motoClientConfig());
  private readonly history: DynamoHistoryStore;
  private readonly aggregates: DynamoAggregateStore;
  private iterator: string | undefined;

  constructor(
    private readonly tables: TestTables,
    private readonly dimensionKeys: readonly string[] = [],
  ) {
    this.history = new DynamoHistoryStore(tables.doc, tables.historyTable, 30);
    this.aggregates = new DynamoAggregateStore(tables.doc, tables.stateTable, 400);
  }

  /**
   * Ingest events (as SQS batches of 100, one message each) with the ingest clock at `nowMs`, then
   * aggregate everything the history stream holds. Throws if anything would have been retried.
   */
  async send(events: readonly TaskEvent[], nowMs: number): Promise<void> {
    for (let i = 0; i < events.length; i += 100) {
      const outcome = await ingestBatch(
        events
          .slice(i, i + 100)
          .map((e) => ({ messageId: randomUUID(), body: JSON.stringify(e), sentAtMs: nowMs })),
        this.history,
        { nowMs, ttlDays: 30 },
      );
      if (outcome.failedMessageIds.length > 0 || outcome.quarantined.length > 0)
        throw new Error(`ingest failed: ${JSON.stringify(outcome.quarantined.map((q) => q.rejection))}`);
    }
    await this.drain();
  }

  /** Aggregate every stream record not seen yet. */
  async drain(): Promise<void> {
    this.iterator ??= await this.firstIterator();
    for (;;) {
      const res: GetRecordsCommandOutput = await this.streams.send(
        new GetRecordsCommand({ ShardIterator: this.iterator, Limit: 1000 }),
      );
      this.iterator = res.NextShardIterator ?? this.iterator;
      const records = res.Records ?? [];
      if (records.length === 0) return;
      const outcome = await aggregateChanges(
        toExecutionChanges(records as unknown as DynamoDBRecord[]),
        this.aggregates,
        this.dimensionKeys,
      );
      if (outcome.failedAt !== undefined) throw new Error(`aggregation failed at ${outcome.failedAt}`);
    }
  }

  private async firstIterator(): Promise<string> {
    const table = await this.tables.client.send(
      new DescribeTableCommand({ TableName: this.tables.historyTable }),
    );
    const streamArn = table.Table?.LatestStreamArn;
    if (streamArn === undefined) throw new Error('history table has no stream');
    const stream = await this.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const shardId = stream.StreamDescription?.Shards?.[0]?.ShardId;
    const it = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    return it.ShardIterator!;
  }
}

/** Every item of a pair of test tables, as `snapshotTables` read them. */
export interface TablesSnapshot {
  readonly history: readonly Record<string, unknown>[];
  readonly state: readonly Record<string, unknown>[];
}

/** Every item of a table, through the SDK's scan paginator. */
const scanAll = async (doc: DynamoDBDocumentClient, table: string): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client: doc }, { TableName: table }))
    items.push(...(page.Items ?? []));
  return items;
};

/**
 * Read every item of both tables, so a file can run the real feed once and give each test its own copy
 * (`restoreTables`) instead of feeding the same events again for every test.
 */
export const snapshotTables = async (tables: TestTables): Promise<TablesSnapshot> => {
  const [history, state] = await Promise.all([
    scanAll(tables.doc, tables.historyTable),
    scanAll(tables.doc, tables.stateTable),
  ]);
  return { history, state };
};

/**
 * Fresh tables holding the snapshot's items, written with BatchWriteItem (25 items a request): the
 * copy is what the feed stored, without running ingest and aggregation again. The history stream of
 * the copy holds the restore's own inserts, so do not aggregate it with a `TestFeed`.
 */
export const restoreTables = async (snapshot: TablesSnapshot): Promise<TestTables> => {
  const tables = await createTestTables();
  const put = async (table: string, items: readonly Record<string, unknown>[]) => {
    for (let i = 0; i < items.length; i += 25) {
      let pending: Record<string, unknown>[] | undefined = items
        .slice(i, i + 25)
        .map((Item) => ({ PutRequest: { Item } }));
      while (pending !== undefined && pending.length > 0) {
        const res: BatchWriteCommandOutput = await tables.doc.send(
          new BatchWriteCommand({ RequestItems: { [table]: pending } }),
        );
        pending = res.UnprocessedItems?.[table] as Record<string, unknown>[] | undefined;
      }
    }
  };
  await Promise.all([put(tables.historyTable, snapshot.history), put(tables.stateTable, snapshot.state)]);
  return tables;
};
