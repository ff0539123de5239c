import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse } from 'aws-lambda';
import { documentClient } from '../../lambdas/shared/aws/clients';
import { parseTaskEvent, type TaskEvent } from '../../lambdas/shared/contract/event';
import { isConditionalCheckFailed } from '../../lambdas/shared/errors';
import { dayOf } from '../../lambdas/shared/names/keys';
import { queryAll } from '../../lambdas/shared/store/query-all';
import { baselineClients, createTable, historyRow, readBackTable, upsertStats } from './baseline-store';
import type { Baseline, BaselineOptions } from './design';
import { countEvent, type DailyStats, emptyStats, statsMapKey } from './stats';

/**
 * Baseline 2, "seed pattern": the shape of the seed designs. One log row per event in a day partition
 * (`LOG#<day>` / `<occurredAt>#<eventId>`, written only if absent, so a duplicate is detected by its
 * failed condition and not counted again), then a read-modify-write upsert of the type's daily stats
 * per event. Rollups scan the day's rows (a query of the day partition) and write one item per type;
 * the monitor reads the last hour of rows. Its exactly-once rests on the log row: a crash between the
 * row and the stats upsert would lose the count (the bench injects no faults, so it is correct here).
 */
export const createSeedBaseline = async (options: BaselineOptions): Promise<Baseline> => {
  const { client, plain } = baselineClients(options);
  const table = `${options.prefix}-seed`;
  await createTable(plain, table, true);
  const doc = documentClient(client('ingest'));
  const rollupDoc = documentClient(client('rollup'));
  const monitorDoc = documentClient(client('monitor'));
  const logKey = (e: TaskEvent) => ({ pk: `LOG#${dayOf(e.occurredAt)}`, sk: `${e.occurredAt}#${e.eventId}` });

  const handleRecord = async (body: string, sentAtMs: number) => {
    const parsed = parseTaskEvent(body, sentAtMs);
    if (!parsed.ok) throw new Error(`invalid event: ${parsed.rejection.reason}`);
    try {
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: historyRow(logKey(parsed.event), parsed.event),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return; // a duplicate: counted when it first came
      throw error;
    }
    await upsertStats(doc, table, parsed.event);
  };

  const dayRows = (day: string) =>
    queryAll(rollupDoc, {
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `LOG#${day}` },
    });

  return {
    ingest: async (event): Promise<SQSBatchResponse> => {
      const failures: { itemIdentifier: string }[] = [];
      for (const record of event.Records) {
        try {
          await handleRecord(record.body, Number(record.attributes.SentTimestamp));
        } catch {
          failures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures: failures };
    },
    rollup: async (day) => {
      const out = new Map<string, DailyStats>();
      for (const row of await dayRows(day)) {
        const key = statsMapKey(day, String(row.taskType));
        out.set(key, countEvent(out.get(key) ?? emptyStats(), row as unknown as TaskEvent));
      }
      const items = [...out].map(([key, stats]) => ({
        PutRequest: { Item: { pk: `ROLLUP#${day}`, sk: key.split('\n')[1]!, stats } },
      }));
      for (let i = 0; i < items.length; i += 25)
        await rollupDoc.send(new BatchWriteCommand({ RequestItems: { [table]: items.slice(i, i + 25) } }));
      return out;
    },
    monitor: async (nowMs) => {
      const now = new Date(nowMs).toISOString();
      await queryAll(monitorDoc, {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': `LOG#${dayOf(now)}`,
          ':from': new Date(nowMs - 3_600_000).toISOString(),
          ':to': `${now}\uffff`,
        },
      });
    },
    readBack: () => readBackTable(plain, table, 'LOG#'),
  };
};
