import { CreateTableCommand, DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { isConditionalCheckFailed } from '../../lambdas/shared/errors';
import type { BaselineOptions, Role } from './design';
import { countEvent, type DailyStats, emptyStats, statsMapKey, statsTargetOf } from './stats';

/**
 * What both baselines share: tables the bench creates on moto (on demand, like the stack's), the
 * read-modify-write of a per-type daily stats item (optimistic locking on a version attribute, as
 * a team writes it when the item holds more than counters), and reading a table back for the oracle.
 */

/** Create an on-demand table keyed by `pk` (string) and, when `withSortKey`, `sk` (string). */
export const createTable = async (client: DynamoDBClient, name: string, withSortKey: boolean) => {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        ...(withSortKey ? [{ AttributeName: 'sk', AttributeType: 'S' as const }] : []),
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        ...(withSortKey ? [{ AttributeName: 'sk', KeyType: 'RANGE' as const }] : []),
      ],
    }),
  );
};

/** Key of a type's stats item of a day. */
export const statsItemKey = (taskType: string, day: string) => ({ pk: `STATS#${taskType}#${day}`, sk: 'S' });

/** Attempts of one read-modify-write before the record is handed back for redelivery. */
const RMW_ATTEMPTS = 8;

/**
 * Count one event in its type's daily stats item: read it (strongly consistent), count, write it back
 * if nobody wrote it in between (version check), else read again. Throws after `RMW_ATTEMPTS`
 * conflicts, so the record fails and SQS delivers it again.
 */
export const upsertStats = async (doc: DynamoDBDocumentClient, table: string, event: TaskEvent) => {
  const { taskType, day } = statsTargetOf(event);
  const key = statsItemKey(taskType, day);
  for (let attempt = 1; ; attempt++) {
    const { Item } = await doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
    const version = (Item?.v as number | undefined) ?? 0;
    const stats = countEvent((Item?.stats as DailyStats | undefined) ?? emptyStats(), event);
    try {
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: { ...key, taskType, day, stats, lastEventAt: event.occurredAt, v: version + 1 },
          ...(Item === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'v = :v', ExpressionAttributeValues: { ':v': version } }),
        }),
      );
      return;
    } catch (error) {
      if (!isConditionalCheckFailed(error) || attempt >= RMW_ATTEMPTS) throw error;
    }
  }
};

/** Every item of a table, unmarshalled (reading back for the oracle; not metered). */
export const scanTable = async (client: DynamoDBClient, table: string) => {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client }, { TableName: table, ConsistentRead: true }))
    for (const item of page.Items ?? []) items.push(unmarshall(item));
  return items;
};

/** Stored eventIds by taskId, from history rows that carry `taskId` and `eventId`. */
export const historyOf = (rows: readonly Record<string, unknown>[]): Map<string, Set<string>> => {
  const out = new Map<string, Set<string>>();
  for (const row of rows) {
    if (row.eventId === undefined) continue;
    const ids = out.get(String(row.taskId)) ?? new Set<string>();
    ids.add(String(row.eventId));
    out.set(String(row.taskId), ids);
  }
  return out;
};

/** The history row of an event: the event as sent, under the given key. */
export const historyRow = (key: { pk: string; sk: string }, event: TaskEvent) => ({ ...key, ...event });

/** A baseline's clients: one per role (instrumented by the bench) and a plain one for set-up and read-back. */
export const baselineClients = (options: BaselineOptions) => {
  const aws = {
    endpoint: options.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  };
  return {
    client: (role: Role) => {
      const c = new DynamoDBClient(aws);
      options.instrument?.(c, role);
      return c;
    },
    plain: new DynamoDBClient(aws),
  };
};

/** Read a baseline's table back: history rows (partition keys with `historyPrefix`) and stats items. */
export const readBackTable = async (plain: DynamoDBClient, table: string, historyPrefix: string) => {
  const rows = await scanTable(plain, table);
  const stats = new Map<string, DailyStats>();
  for (const row of rows)
    if (String(row.pk).startsWith('STATS#'))
      stats.set(statsMapKey(String(row.day), String(row.taskType)), row.stats as DailyStats);
  return { history: historyOf(rows.filter((r) => String(r.pk).startsWith(historyPrefix))), stats };
};
