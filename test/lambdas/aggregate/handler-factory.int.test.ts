import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createAggregateHandler } from '../../../lambdas/aggregate/handler-factory';
import { documentClient } from '../../../lambdas/shared/aws/clients';
import { aggregateSkipPartition, dirtyDayKey } from '../../../lambdas/shared/names/keys';
import { DynamoAggregateStore } from '../../../lambdas/shared/store/aggregate-store';
import { motoClientConfig } from '../../support/aws';
import { BASE_TIME_MS } from '../../support/events';
import { createTestTables, type TestTables } from '../../support/tables';
import { expectedBuckets, nonZero, storedBuckets } from './buckets';
import { makeExecution, makeExecutions, streamEventOf } from './stream-event';

/**
 * The aggregate handler over the real store on moto_server, with faults injected at the SDK client.
 */

const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

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
    // Prepare: 24 executions over 2 task types and 12 buckets, 24 aggregate targets: more updates than
    // the 16 that run at once (CONCURRENCY in aggregate-changes.ts), so some have not started when the
    // first one fails.
    const executions = makeExecutions(2, 12);
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

/** A client on moto_server whose requests pass through `fault` first (throw to fail one). */
const clientWith = (fault: (command: string, input: Record<string, unknown>) => void) => {
  const client = new DynamoDBClient({ ...motoClientConfig(), maxAttempts: 1 });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      fault(context.commandName ?? '', args.input as Record<string, unknown>);
      return next(args);
    },
    { step: 'initialize', name: 'injectFault' },
  );
  return client;
};

const awsError = (name: string, httpStatusCode: number, message = name) =>
  Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode < 500 ? 'client' : 'server',
    $metadata: { httpStatusCode },
  });

/** A key attribute of a request input, whether the document client marshalled it yet or not. */
const keyOf = (input: Record<string, unknown>, name: 'pk' | 'sk'): string => {
  const value = (input.Key as Record<string, unknown> | undefined)?.[name];
  return String(typeof value === 'object' && value !== null ? (value as { S?: string }).S : (value ?? ''));
};
const skOf = (input: Record<string, unknown>) => keyOf(input, 'sk');
const pkOf = (input: Record<string, unknown>) => keyOf(input, 'pk');

describe('aggregate handler when DynamoDB refuses a write for good', () => {
  let tables: TestTables;
  beforeAll(async () => {
    tables = await createTestTables();
  });

  it('records the refused write as a skip, applies everything else and does not ask for a retry', async () => {
    // Prepare: every write to an error-type part fails with ValidationException, as an update
    // expression over 4 KB or an item over 400 KB would.
    const executions = makeExecutions(2, 3);
    const client = clientWith((command, input) => {
      if (
        command === 'UpdateItemCommand' &&
        /#err$/.test(skOf(input)) &&
        /\bADD\b/.test(String(input.UpdateExpression))
      )
        throw awsError(
          'ValidationException',
          400,
          'Invalid UpdateExpression: Expression size has exceeded the maximum allowed size',
        );
    });
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const logged = vi.spyOn(logger, 'error');
    const outcomes: unknown[] = [];
    const handler = createAggregateHandler({
      store: new DynamoAggregateStore(documentClient(client), tables.stateTable, 400),
      dimensionKeys: [],
      logger,
      onOutcome: (o) => outcomes.push(o),
    });

    // Act
    const answer = await handler(streamEventOf(executions));

    // Assess: nothing handed back; one skip per refused part, stored, logged and counted.
    expect(answer.batchItemFailures).toEqual([]);
    const failedTasks = executions.filter((x) => x.status === 'failed');
    const skips = (
      await tables.doc.send(
        new QueryCommand({
          TableName: tables.stateTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': aggregateSkipPartition('2026-03-02') },
        }),
      )
    ).Items!;
    expect(skips).toHaveLength(failedTasks.length);
    for (const skip of skips) {
      expect(skip.error.name).toBe('ValidationException');
      expect(skip.part).toBe('err');
      expect(skip.fields.some((f: string) => f.startsWith('e_'))).toBe(true);
      expect(failedTasks.map((x) => x.taskId)).toContain(skip.changes[0].taskId);
    }
    expect(logged).toHaveBeenCalledTimes(failedTasks.length);
    expect(outcomes).toEqual([expect.objectContaining({ skipped: expect.any(Array), retried: 0 })]);
    // Everything but the refused error counts is stored.
    const expected = expectedBuckets(executions);
    for (const fields of expected.values())
      for (const field of Object.keys(fields)) if (/^es?_/.test(field)) delete fields[field];
    expect(nonZero(await storedBuckets(tables))).toEqual(expected);
  });
});

describe('dirty-day marks for late changes', () => {
  let tables: TestTables;
  beforeAll(async () => {
    tables = await createTestTables();
  });

  const markOf = async (day: string) =>
    (
      await tables.doc.send(
        new GetCommand({ TableName: tables.stateTable, Key: dirtyDayKey(day), ConsistentRead: true }),
      )
    ).Item;

  it('marks a day that had ended, after its deltas, and a retry still writes the mark', async () => {
    // Prepare: a change of 2026-03-02 aggregated on 2026-03-04; the first mark write is throttled.
    const nowMs = BASE_TIME_MS + 2 * 86_400_000;
    let addsInFlight = 0;
    let addsDone = 0;
    const seenAtMark: { inFlight: number; done: number }[] = [];
    let throttleMark = true;
    const client = new DynamoDBClient({ ...motoClientConfig(), maxAttempts: 1 });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        const isAdd =
          context.commandName === 'UpdateItemCommand' && /\bADD\b/.test(String(input.UpdateExpression));
        if (pkOf(input) === 'DIRTY') {
          seenAtMark.push({ inFlight: addsInFlight, done: addsDone });
          if (throttleMark) {
            throttleMark = false;
            throw awsError('ThrottlingException', 400);
          }
        }
        if (isAdd) addsInFlight++;
        try {
          return await next(args);
        } finally {
          if (isAdd) {
            addsInFlight--;
            addsDone++;
          }
        }
      },
      { step: 'initialize', name: 'observe' },
    );
    const executions = makeExecutions(3, 2);
    const handler = createAggregateHandler({
      store: new DynamoAggregateStore(documentClient(client), tables.stateTable, 400, () => nowMs),
      dimensionKeys: [],
      logger: silent,
      now: () => nowMs,
    });

    // Act
    const first = await handler(streamEventOf(executions));
    const markAfterFirst = await markOf('2026-03-02');
    const retry = await handler(streamEventOf(executions));

    // Assess
    expect(first.batchItemFailures).toHaveLength(1);
    expect(markAfterFirst).toBeUndefined();
    expect(retry.batchItemFailures).toEqual([]);
    expect(await markOf('2026-03-02')).toEqual({ pk: 'DIRTY', sk: '2026-03-02', changedAt: nowMs });
    expect(seenAtMark).toHaveLength(2);
    for (const seen of seenAtMark) expect(seen).toEqual({ inFlight: 0, done: expect.any(Number) });
    expect(seenAtMark[0]!.done).toBeGreaterThan(0);
    expect(nonZero(await storedBuckets(tables))).toEqual(expectedBuckets(executions));
  });

  it('does not mark the current day', async () => {
    // Prepare: a change aggregated on its own day, in a fresh scope.
    const execution = makeExecution({
      taskId: 'today-1',
      taskType: 'only_today',
      startMs: BASE_TIME_MS + 86_400_000,
    });
    const nowMs = BASE_TIME_MS + 86_400_000 + 3_600_000;
    const handler = createAggregateHandler({
      store: new DynamoAggregateStore(documentClient(tables.client), tables.stateTable, 400, () => nowMs),
      dimensionKeys: [],
      logger: silent,
      now: () => nowMs,
    });
    // Act
    const answer = await handler(streamEventOf([execution], 900_000));
    // Assess
    expect(answer.batchItemFailures).toEqual([]);
    expect(await markOf('2026-03-03')).toBeUndefined();
  });
});
