import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { motoClientConfig, uniqueName } from '../support/aws';

/**
 * The emulator that local mode and the test suite start (`local/moto.ts`) must keep DynamoDB's promise
 * that a conditional write is atomic: the ingest's optimistic versioning (`v = :v`), the aggregator's
 * high-water tokens and the monitor's alert claims all rest on it. moto_server serves requests on
 * threads and checks a condition, then writes, with nothing in between holding other writers off:
 * two writers could both pass the same check and both write, each leaving a stream record, and the
 * aggregator counted the execution twice (the torture R1 double count seen under heavy load,
 * decision 0083).
 *
 * A long condition expression (within DynamoDB's 4 KB limit) makes moto spend milliseconds between
 * its read of the item and its write, longer than Python's thread switch interval, so the race that a
 * loaded machine hits by chance is hit on every run here.
 */

const ROUNDS = 4;
const WRITERS = 6;

/** `attribute_not_exists(pk)` and clauses that are all true, about 3.8 KB. */
const LONG_CONDITION = [
  'attribute_not_exists(pk)',
  ...Array.from({ length: 80 }, (_, i) => `(attribute_not_exists(a${i}) OR a${i} <> :z)`),
].join(' AND ');

const createTable = async (client: DynamoDBClient): Promise<{ table: string; streamArn: string }> => {
  const table = uniqueName('atomic');
  await client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
  return { table, streamArn: Table!.LatestStreamArn! };
};

/** Every record of the table's stream so far: event name, key, sequence number. */
const streamRecords = async (streamArn: string) => {
  const streams = new DynamoDBStreamsClient(motoClientConfig());
  const { ShardIterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: streamArn,
      ShardId: 'shardId-00000001541626099285-f35f62ef',
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  const { Records = [] } = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 1000 }));
  return Records.map((r) => ({
    event: r.eventName,
    key: r.dynamodb?.Keys?.pk?.S,
    sequenceNumber: r.dynamodb?.SequenceNumber,
  }));
};

describe('moto_server as local mode and the tests start it', () => {
  // One attempt per call: an SDK retry would blur which call won.
  const client = new DynamoDBClient({ ...motoClientConfig(), maxAttempts: 1 });

  it('lets exactly one of several concurrent conditional puts of a new item succeed, and streams one record', async () => {
    // Prepare
    const { table, streamArn } = await createTable(client);
    // Act: every round, WRITERS puts-if-absent of one key at once
    const winners: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const outcomes = await Promise.allSettled(
        Array.from({ length: WRITERS }, (_, writer) =>
          client.send(
            new PutItemCommand({
              TableName: table,
              Item: { pk: { S: `task-${round}` }, writer: { N: String(writer) } },
              ConditionExpression: LONG_CONDITION,
              ExpressionAttributeValues: { ':z': { S: 'z' } },
            }),
          ),
        ),
      );
      const refusedOtherwise = outcomes.filter(
        (o) => o.status === 'rejected' && (o.reason as Error).name !== 'ConditionalCheckFailedException',
      );
      expect(refusedOtherwise).toEqual([]);
      winners.push(outcomes.filter((o) => o.status === 'fulfilled').length);
    }
    // Assess: one winner per key, one INSERT per key, sequence numbers unique
    expect(winners).toEqual(Array.from({ length: ROUNDS }, () => 1));
    const records = await streamRecords(streamArn);
    expect(records.map((r) => `${r.event} ${r.key}`).sort()).toEqual(
      Array.from({ length: ROUNDS }, (_, round) => `INSERT task-${round}`),
    );
    expect(new Set(records.map((r) => r.sequenceNumber)).size).toBe(records.length);
  });
});
