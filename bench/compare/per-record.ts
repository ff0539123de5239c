import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { documentClient } from '../../lambdas/shared/aws/clients';
import { parseTaskEvent } from '../../lambdas/shared/contract/event';
import { dayOf } from '../../lambdas/shared/names/keys';
import { lambdaContext } from '../../local/lambda-context';
import {
  baselineClients,
  createTable,
  historyRow,
  readBackTable,
  statsItemKey,
  upsertStats,
} from './baseline-store';
import type { Baseline, BaselineOptions } from './design';
import { type DailyStats, statsMapKey } from './stats';

/**
 * Baseline 1, "per record": what the AWS docs and the Powertools examples lead to. Powertools'
 * `BatchProcessor` hands each SQS record to a record handler made idempotent by
 * `@aws-lambda-powertools/idempotency` (DynamoDB persistence layer, keyed by the event's `eventId`, so
 * producer duplicates and redeliveries run once); the handler writes one history row per event
 * (`TASK#<taskId>` / `<occurredAt>#<eventId>`) and counts the event in a per-type daily stats item by
 * read-modify-write. Records are processed one after another: in parallel, the read-modify-writes of
 * one batch on the same few stats items conflict on nearly every write.
 *
 * Rollup: the day's stats items (one read per task type). Monitor: today's stats items (the stats hold
 * no hourly window, so the check is coarser than Taskpulse's).
 */
export const createPerRecordBaseline = async (options: BaselineOptions): Promise<Baseline> => {
  const { client, plain } = baselineClients(options);
  const recordsTable = `${options.prefix}-records`;
  const idempotencyTable = `${options.prefix}-idempotency`;
  await createTable(plain, recordsTable, true);
  await createTable(plain, idempotencyTable, false);

  const ingestClient = client('ingest');
  const doc = documentClient(ingestClient);
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: idempotencyTable,
    keyAttr: 'pk',
    awsSdkV3Client: ingestClient,
  });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'powertools_json(body).eventId' });
  const processor = new BatchProcessor(EventType.SQS);
  const recordHandler = async (record: SQSRecord) => {
    const parsed = parseTaskEvent(record.body, Number(record.attributes.SentTimestamp));
    if (!parsed.ok) throw new Error(`invalid event: ${parsed.rejection.reason}`);
    const event = parsed.event;
    await doc.send(
      new PutCommand({
        TableName: recordsTable,
        Item: historyRow({ pk: `TASK#${event.taskId}`, sk: `${event.occurredAt}#${event.eventId}` }, event),
      }),
    );
    await upsertStats(doc, recordsTable, event);
  };
  const idempotentHandler = makeIdempotent(recordHandler, { persistenceStore, config });

  const readStats = async (c: DynamoDBClient, day: string) => {
    const { Responses } = await c.send(
      new BatchGetItemCommand({
        RequestItems: {
          [recordsTable]: { Keys: options.taskTypes.map((t) => marshall(statsItemKey(t, day))) },
        },
      }),
    );
    const out = new Map<string, DailyStats>();
    for (const item of Responses?.[recordsTable] ?? []) {
      const row = unmarshall(item);
      out.set(statsMapKey(day, String(row.taskType)), row.stats as DailyStats);
    }
    return out;
  };
  const rollupClient = client('rollup');
  const monitorClient = client('monitor');

  return {
    ingest: async (event) => {
      const context = lambdaContext({ name: `${options.prefix}-per-record`, timeoutSeconds: 900 });
      config.registerLambdaContext(context);
      return processPartialResponse(event, idempotentHandler, processor, {
        context,
        processInParallel: false,
      });
    },
    rollup: (day) => readStats(rollupClient, day),
    monitor: async (nowMs) => {
      await readStats(monitorClient, dayOf(new Date(nowMs).toISOString()));
    },
    readBack: () => readBackTable(plain, recordsTable, 'TASK#'),
  };
};
