import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAggregateHandler } from '../../../lambdas/aggregate/handler-factory';
import { contributionOf, sumDeltas } from '../../../lambdas/domain/aggregate';
import type { Execution } from '../../../lambdas/domain/execution';
import { documentClient } from '../../../lambdas/shared/aws/clients';
import { slotOfAggregateSort } from '../../../lambdas/shared/names/keys';
import { DynamoAggregateStore, MARKER_ATTRIBUTE } from '../../../lambdas/shared/store/aggregate-store';
import { motoClientConfig } from '../../support/aws';
import { createTestTables, type TestTables } from '../../support/tables';
import { makeExecutions, streamEventOf } from './stream-event';

/**
 * The aggregate handler over the real store on moto_server, with faults injected at the SDK client.
 */

const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const META = new Set(['pk', 'sk', 'scope', 'day', 'slot', 'expiresAt', MARKER_ATTRIBUTE]);

/** Stored aggregate counters per bucket (`pk\nslot`), parts merged. */
const storedBuckets = async (tables: TestTables): Promise<Map<string, Record<string, unknown>>> => {
  const buckets = new Map<string, Record<string, unknown>>();
  for await (const page of paginateScan(
    { client: tables.client },
    { TableName: tables.stateTable, ConsistentRead: true },
  )) {
    for (const raw of page.Items ?? []) {
      const item = unmarshall(raw);
      if (!String(item.pk).startsWith('AG#')) continue;
      const key = `${item.pk}\n${slotOfAggregateSort(String(item.sk))}`;
      const fields = buckets.get(key) ?? {};
      for (const [field, value] of Object.entries(item)) if (!META.has(field)) fields[field] = value;
      buckets.set(key, fields);
    }
  }
  return buckets;
};

/** The buckets an oracle computes from the executions alone, in the same shape. */
const expectedBuckets = (executions: readonly Execution[]): Map<string, Record<string, unknown>> =>
  new Map(
    sumDeltas(
      executions.flatMap((x) => contributionOf(x, [])).map((delta) => ({ delta, sign: 1 as const })),
    ).map((d) => [`AG#${d.target.scope}#${d.target.day}\n${d.target.slot}`, { ...d.counters, ...d.samples }]),
  );

/** Counters and samples stored, without counters that are zero. */
const nonZero = (buckets: Map<string, Record<string, unknown>>) =>
  new Map(
    [...buckets].map(([k, fields]) => [
      k,
      Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== 0)),
    ]),
  );

/**
 * A client whose first aggregate update fails at once (throttled) while every other update of the
 * same try is held back until that failure happened, like writes stuck on a slow connection. If the
 * try answers before its held writes were sent, they are held further until the retry finished,
 * which is when a late write does the most harm. Counts requests in flight.
 */
const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

const faultyClient = () => {
  const state = {
    armed: true,
    answered: false,
    inFlight: 0,
    failed: deferred(),
    retryDone: deferred(),
    idle: deferred(),
  };
  let failedOnce = false;
  const client = new DynamoDBClient({ ...motoClientConfig(), maxAttempts: 1 });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { UpdateExpression?: string };
      const isAggregateUpdate =
        context.commandName === 'UpdateItemCommand' && /\bADD\b/.test(input.UpdateExpression ?? '');
      state.inFlight++;
      try {
        if (state.armed && isAggregateUpdate) {
          if (!failedOnce) {
            failedOnce = true;
            state.failed.resolve();
            throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
              name: 'ProvisionedThroughputExceededException',
              $fault: 'client',
              $metadata: { httpStatusCode: 400 },
            });
          }
          await state.failed.promise;
          await new Promise((resolve) => setTimeout(resolve, 20));
          if (state.answered) await state.retryDone.promise;
        }
        return await next(args);
      } finally {
        state.inFlight--;
        if (state.inFlight === 0) state.idle.resolve();
      }
    },
    { step: 'initialize', name: 'injectSlowFailure' },
  );
  return { client, state };
};

describe('aggregate handler under a transient write failure', () => {
  let tables: TestTables;
  beforeAll(async () => {
    tables = await createTestTables();
  });

  it('answers only when no write of the try is in flight, so the retry gives exact aggregates', async () => {
    // Prepare: 40 executions over 4 task types and 10 buckets: many more updates than run at once.
    const executions = makeExecutions(4, 10);
    const event = streamEventOf(executions);
    const { client, state } = faultyClient();
    const handler = createAggregateHandler({
      store: new DynamoAggregateStore(documentClient(client), tables.stateTable, 400),
      dimensionKeys: [],
      logger: silent,
    });

    // Act: the first try fails; the event source mapping retries as soon as it answers.
    const first = await handler(event);
    state.answered = true;
    const inFlightAtAnswer = state.inFlight;
    state.armed = false;
    const retry = await handler(event);
    state.retryDone.resolve();
    if (state.inFlight > 0) await state.idle.promise;

    // Assess
    expect(first.batchItemFailures).toHaveLength(1);
    expect(inFlightAtAnswer).toBe(0);
    expect(retry.batchItemFailures).toEqual([]);
    expect(nonZero(await storedBuckets(tables))).toEqual(expectedBuckets(executions));
  });
});
