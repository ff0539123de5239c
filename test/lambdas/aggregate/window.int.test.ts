import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WindowLimits } from '../../../lambdas/aggregate/aggregate-window';
import {
  type AggregateWindowResponse,
  createAggregateHandler,
} from '../../../lambdas/aggregate/handler-factory';
import type { DynamoDBStreamWindowEvent } from '../../../lambdas/aggregate/stream-records';
import type { Execution } from '../../../lambdas/domain/execution';
import { documentClient } from '../../../lambdas/shared/aws/clients';
import { DynamoAggregateStore } from '../../../lambdas/shared/store/aggregate-store';
import { motoClientConfig } from '../../support/aws';
import { FaultInjector } from '../../support/faults';
import { createTestTables, type TestTables } from '../../support/tables';
import { expectedBuckets, nonZero, storedBuckets } from './buckets';
import { makeExecutions, streamEventOf } from './stream-event';

/**
 * The aggregator under a tumbling window, over the real store on moto_server, with faults injected at
 * the SDK client. The event source mapping is played by hand here (explicit invocations, no clock):
 * like Lambda, a failed invocation is retried with the state the last successful one returned.
 */

const silent = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const WINDOW = { start: '2026-03-02T10:00:00Z', end: '2026-03-02T10:00:30Z' };
const SHARD = 'shardId-00000001700000000000-0a1b2c3d';

const windowEvent = (
  executions: readonly Execution[],
  firstSequence: number,
  state: Record<string, unknown>,
  isFinal: boolean,
): DynamoDBStreamWindowEvent => ({
  Records: executions.length > 0 ? streamEventOf(executions, firstSequence).Records : [],
  window: WINDOW,
  state,
  shardId: SHARD,
  isFinalInvokeForWindow: isFinal,
  isWindowTerminatedEarly: false,
});

/** Aggregate part updates that DynamoDB applied (request keys `pk\nsk`), counted per part. */
const countUpdates = (client: DynamoDBClient) => {
  const perPart = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: { pk?: { S?: string }; sk?: { S?: string } } };
      const pk = input.Key?.pk?.S ?? '';
      const answer = await next(args);
      if (context.commandName === 'UpdateItemCommand' && pk.startsWith('AG#')) {
        const key = `${pk}\n${input.Key?.sk?.S}`;
        perPart.set(key, (perPart.get(key) ?? 0) + 1);
      }
      return answer;
    },
    { step: 'serialize', name: 'countAggregateUpdates', priority: 'low' },
  );
  return perPart;
};

/**
 * Play one window over `batches` (one invocation each, then the final one), retrying every failed
 * invocation with the previous state, as the event source mapping does. Returns how many tries failed.
 */
const playWindow = async (
  handler: (event: DynamoDBStreamWindowEvent) => Promise<AggregateWindowResponse>,
  batches: readonly (readonly Execution[])[],
  maxTries = 100,
): Promise<{ failures: number; states: Record<string, unknown>[] }> => {
  let state: Record<string, unknown> = {};
  let failures = 0;
  let sequence = 1_000;
  const states: Record<string, unknown>[] = [];
  const invocations = [...batches.map((b) => ({ batch: b, isFinal: false })), { batch: [], isFinal: true }];
  for (const { batch, isFinal } of invocations) {
    for (let tries = 0; ; tries++) {
      if (tries >= maxTries) throw new Error('the invocation kept failing');
      try {
        state = (await handler(windowEvent(batch, sequence, state, isFinal))).state;
        break;
      } catch (e) {
        if (process.env.DEBUG_WINDOW)
          console.log(tries, (e as Error).message, ((e as Error).cause as Error)?.name);
        failures++;
      }
    }
    states.push(state);
    sequence += batch.length;
  }
  return { failures, states };
};

const handlerOn = (client: DynamoDBClient, tables: TestTables, windowLimits?: WindowLimits) =>
  createAggregateHandler({
    store: new DynamoAggregateStore(documentClient(client), tables.stateTable, 400),
    dimensionKeys: [],
    logger: silent,
    ...(windowLimits !== undefined && { windowLimits }),
  }) as unknown as (event: DynamoDBStreamWindowEvent) => Promise<AggregateWindowResponse>;

/** 18 executions over 3 task types and 6 buckets, in 3 batches of one window. */
const windowBatches = (): Execution[][] => {
  const executions = makeExecutions(3, 6);
  return [0, 1, 2].map((i) => executions.slice(i * 6, i * 6 + 6));
};

describe('aggregator under a tumbling window', () => {
  let tables: TestTables;
  beforeAll(async () => {
    tables = await createTestTables();
  });

  it('writes nothing before the window ends, then each aggregate part once', async () => {
    // Prepare
    const own = await createTestTables();
    const client = new DynamoDBClient({ ...motoClientConfig(), maxAttempts: 1 });
    const updates = countUpdates(client);
    const batches = windowBatches();

    // Act
    const handler = handlerOn(client, own);
    const { states } = await playWindow(async (event) => {
      const before = [...updates.values()].reduce((a, b) => a + b, 0);
      const answer = await handler(event);
      if (!event.isFinalInvokeForWindow)
        expect([...updates.values()].reduce((a, b) => a + b, 0)).toBe(before);
      return answer;
    }, batches);

    // Assess
    expect(states.at(-1)).toEqual({});
    expect(updates.size).toBeGreaterThan(0);
    expect([...updates.values()].every((n) => n === 1)).toBe(true);
    expect(nonZero(await storedBuckets(own))).toEqual(expectedBuckets(batches.flat()));
  });

  it.each([
    // A flush resumes where a failed try stopped; a batch applied on its own (per-batch protocol) redoes
    // every update on a retry, so it gets fewer faults to finish within the tries.
    ['the final invocation', undefined, 0.1],
    ['an early flush mid-window', { flushBytes: 1, maxBytes: 896 * 1024 }, 0.1],
    ['a batch too wide to carry', { flushBytes: 1, maxBytes: 1 }, 0.03],
  ] as const)(
    'counts exactly once when %s fails and is retried with the previous state',
    async (_, limits, rate) => {
      // Faults are drawn from a hash of each request, and requests name this run's tables, so a run can
      // draw no lost answer (about 1 in 100 here). Every try must count exactly; tries go on with the
      // next seed until one has lost an answer, at most five.
      let lostAnswers = 0;
      for (let seed = 11; lostAnswers === 0 && seed < 16; seed++) {
        // Prepare: a share of the state table calls fail, a quarter of them after DynamoDB applied them.
        const own = await createTestTables();
        const faults = new FaultInjector({ seed, rate });
        const client = faults.attach(new DynamoDBClient({ ...motoClientConfig(), maxAttempts: 1 }));
        const batches = windowBatches();

        // Act
        const { failures } = await playWindow(handlerOn(client, own, limits), batches);

        // Assess
        expect(failures).toBeGreaterThan(0);
        expect(nonZero(await storedBuckets(own))).toEqual(expectedBuckets(batches.flat()));
        lostAnswers = faults.injected('lostAnswer');
      }
      expect(lostAnswers).toBeGreaterThan(0);
    },
  );

  it('folds a batch delivered again into the state only once', async () => {
    // Prepare
    const client = new DynamoDBClient({ ...motoClientConfig(), maxAttempts: 1 });
    const handler = handlerOn(client, tables);
    const [batch] = windowBatches();

    // Act
    const once = (await handler(windowEvent(batch!, 1_000, {}, false))).state;
    const again = (await handler(windowEvent(batch!, 1_000, once, false))).state;

    // Assess
    expect(again).toEqual(once);
  });
});
