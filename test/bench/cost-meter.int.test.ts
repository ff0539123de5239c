import {
  DynamoDBClient,
  PutItemCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { attachCostMeter } from '../../bench/cost-meter';
import { motoClientConfig } from '../support/aws';
import { createTestTables, type TestTables } from '../support/tables';

/**
 * The bench's write-unit meter against moto_server: DynamoDB bills a write whose condition fails
 * (the size of the existing item, at least one unit), so a design that relies on conditions must not
 * look cheaper than it is.
 */
describe('cost meter', () => {
  let tables: TestTables;
  const s = (v: string) => ({ S: v });
  /** An item of about `kb` KB under the given key. */
  const itemOf = (pk: string, kb: number) => ({
    pk: s(pk),
    sk: s('EX'),
    v: { N: '1' },
    pad: s('x'.repeat(kb * 1024)),
  });

  beforeAll(async () => {
    tables = await createTestTables();
  });

  const metered = () => {
    const client = new DynamoDBClient(motoClientConfig());
    const totals = attachCostMeter(client, tables.client, {});
    return { client, totals };
  };

  it('charges a failed conditional put the size of the existing item', async () => {
    // Prepare: a 2.5 KB item exists.
    await tables.client.send(
      new PutItemCommand({ TableName: tables.historyTable, Item: itemOf('EX#big', 2.5) }),
    );
    const { client, totals } = metered();

    // Act: a small put conditioned on the item not existing fails.
    await expect(
      client.send(
        new PutItemCommand({
          TableName: tables.historyTable,
          Item: { pk: s('EX#big'), sk: s('EX'), v: { N: '2' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });

    // Assess: three units (ceil(2.5 KB)), no index writes, counted as a failed condition.
    expect(totals.tableWriteUnits).toBe(3);
    expect(totals.indexWriteUnits).toBe(0);
    expect(totals.writeUnitsByTable[tables.historyTable]).toBe(3);
    expect(totals.failedConditionWrites).toBe(1);
  });

  it('charges at least one unit when the condition fails on a missing item', async () => {
    const { client, totals } = metered();

    await expect(
      client.send(
        new UpdateItemCommand({
          TableName: tables.stateTable,
          Key: { pk: s('AG#missing'), sk: s('00:00') },
          UpdateExpression: 'ADD n :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });

    expect(totals.tableWriteUnits).toBe(1);
    expect(totals.writeUnitsByTable[tables.stateTable]).toBe(1);
  });

  it('charges every item of a cancelled transaction as a transactional write of its existing size', async () => {
    await tables.client.send(new PutItemCommand({ TableName: tables.stateTable, Item: itemOf('T#a', 1.5) }));
    const { client, totals } = metered();

    await expect(
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            // Fails: the item exists. Its existing size is 1.5 KB: 2 units, twice in a transaction.
            {
              Put: {
                TableName: tables.stateTable,
                Item: { pk: s('T#a'), sk: s('EX') },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            // Would succeed, but is cancelled with the transaction: 1 unit, twice.
            { Put: { TableName: tables.stateTable, Item: { pk: s('T#b'), sk: s('EX') } } },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'TransactionCanceledException' });

    expect(totals.transactionWriteUnits).toBe(2 * 2 + 2 * 1);
    expect(totals.writeUnitsByTable[tables.stateTable]).toBe(6);
  });

  it('still charges a successful write by the larger of the sizes before and after', async () => {
    const { client, totals } = metered();

    await client.send(new PutItemCommand({ TableName: tables.stateTable, Item: itemOf('T#c', 1.2) }));

    expect(totals.tableWriteUnits).toBe(2);
    expect(totals.failedConditionWrites).toBe(0);
  });

  it('charges reads through a document client by the size of the items as stored', async () => {
    // Prepare: a 6 KB item with a null attribute (as an alert state's cleared message is stored).
    await tables.client.send(
      new PutItemCommand({
        TableName: tables.stateTable,
        Item: { ...itemOf('T#read', 6), pending: { NULL: true } },
      }),
    );
    const { client, totals } = metered();
    const doc = DynamoDBDocumentClient.from(client);

    // Act: a strongly consistent get and an eventually consistent query through the document client.
    const got = await doc.send(
      new GetCommand({ TableName: tables.stateTable, Key: { pk: 'T#read', sk: 'EX' }, ConsistentRead: true }),
    );
    await doc.send(
      new QueryCommand({
        TableName: tables.stateTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'T#read' },
      }),
    );

    // Assess: the caller still gets plain values; 6 KB is 2 units of 4 KB for the get, half that for the query.
    expect(got.Item?.pending).toBeNull();
    expect(totals.readUnits).toBe(2 + 1);
  });
});
