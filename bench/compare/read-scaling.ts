import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { BASE_TIME_MS } from '../../demo/lifecycle';
import { createAggregateHandler } from '../../lambdas/aggregate/handler-factory';
import { mergeEvents } from '../../lambdas/domain/execution';
import { documentClient } from '../../lambdas/shared/aws/clients';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { dayOf } from '../../lambdas/shared/names/keys';
import { DynamoAggregateStore } from '../../lambdas/shared/store/aggregate-store';
import { toExecutionItem } from '../../lambdas/shared/store/execution-item';
import { distinctEvents, generateStream } from '../stream';
import { createTortureStack } from '../torture/stack';
import type { Role } from './design';
import { itemsInResponse } from './metering';
import type { ReadScaling } from './report';
import { BENCH_DIMENSIONS } from './taskpulse';

/**
 * Whether Taskpulse's monitor and rollup read O(task types × buckets): store the aggregates of two
 * volumes of events spread over the same hour (the real aggregator handler applies every execution
 * the events make, handed over as stream records of the history table without going through the
 * ingest, which would take moto an hour at 100,000 events), then count the items one monitor run and
 * one rollup of the day read. The ratio of the two volumes' counts should be about 1.
 */

const SPAN_MS = 3_600_000;
const silent = new Logger({ serviceName: 'bench', logLevel: 'SILENT' });

/** Stream records (INSERT of each execution) as the history table's stream would carry them. Pure. */
const insertRecords = (events: readonly TaskEvent[]): DynamoDBRecord[] => {
  const byTask = new Map<string, TaskEvent[]>();
  for (const e of events) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e]);
  return [...byTask.values()].map((group, i) => {
    const item = toExecutionItem(mergeEvents(undefined, group).execution!, 1, 30);
    return {
      eventID: String(i),
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: {
        Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
        NewImage: marshall(item, { removeUndefinedValues: true }) as never,
        SequenceNumber: String(1_000_000 + i),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
  });
};

/** Items read by one monitor run and one rollup after storing the aggregates of `count` events. */
const itemsReadAt = async (endpoint: string, count: number, seed: number) => {
  const events = distinctEvents(
    generateStream({ events: count, seed, eventsPerSecond: count / (SPAN_MS / 1000) }),
  );
  const nowMs = BASE_TIME_MS + SPAN_MS + 300_000;
  const itemsRead: Record<Role, number> = { ingest: 0, aggregate: 0, rollup: 0, monitor: 0 };
  const stack = await createTortureStack({
    endpoint,
    nowMs,
    dimensions: BENCH_DIMENSIONS,
    instrument: (client, role) => {
      client.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          itemsRead[role] += itemsInResponse(result.output);
          return result;
        },
        { step: 'initialize', name: 'benchItemsRead' },
      );
    },
  });
  try {
    const aggregate = createAggregateHandler({
      store: new DynamoAggregateStore(
        documentClient(
          new DynamoDBClient({
            endpoint,
            region: 'us-east-1',
            credentials: { accessKeyId: 'b', secretAccessKey: 'b' },
          }),
        ),
        stack.stateTable,
        400,
      ),
      dimensionKeys: BENCH_DIMENSIONS,
      logger: silent,
      now: () => nowMs,
    });
    const response = await aggregate({ Records: insertRecords(events) });
    if (response.batchItemFailures.length > 0) throw new Error('the aggregator reported a failure');
    const day = dayOf(new Date(BASE_TIME_MS).toISOString());
    await stack.rollup(day, day, nowMs);
    await stack.monitor(nowMs);
    return { events: events.length, monitor: itemsRead.monitor, rollup: itemsRead.rollup };
  } finally {
    await stack.close();
  }
};

/** Monitor and rollup items read at two volumes of stored events. */
export const measureReadScaling = async (
  endpoint: string,
  sizes: readonly [number, number],
  seed: number,
): Promise<ReadScaling> => {
  const a = await itemsReadAt(endpoint, sizes[0], seed);
  const b = await itemsReadAt(endpoint, sizes[1], seed);
  return {
    events: [a.events, b.events],
    monitorItems: [a.monitor, b.monitor],
    rollupItems: [a.rollup, b.rollup],
  };
};
