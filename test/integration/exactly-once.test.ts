import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOracle, snapshotOf } from '../../bench/torture/compare';
import { generateEvents, messagesOf } from '../../bench/torture/scenarios';
import { EVENT_LIMITS } from '../../lambdas/shared/contract/limits';
import { EXECUTION_PK_PREFIX } from '../../lambdas/shared/names/keys';
import { fromExecutionItem } from '../../lambdas/shared/store/execution-item';
import { motoClientConfig } from '../support/aws';
import { BASE_TIME_MS, makeEvent } from '../support/events';
import { FaultInjector } from '../support/faults';
import { createTestPipeline, messageOf, type TestMessage, type TestPipeline } from '../support/pipeline';

/**
 * Invariants 1 and 4 of the design in detail, over the wire against moto_server: bad input is
 * quarantined with a precise reason next to valid neighbours, and exactly the records whose writes
 * failed come back. Replays (three shuffled deliveries), injected faults at every step and hostile
 * input at volume are in `torture.test.ts`.
 */

const NOW_MS = BASE_TIME_MS + 8 * 3_600_000;
const BATCH = 100;

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** Deliver batches until every message is acknowledged (redelivering what failed). */
const deliverAll = async (pipeline: TestPipeline, batches: readonly TestMessage[][]): Promise<void> => {
  for (const batch of batches) {
    let pending = batch;
    for (let round = 0; pending.length > 0; round++) {
      if (round > 5) throw new Error(`${pending.length} messages never succeeded`);
      const failed = new Set(await pipeline.deliver(pending));
      pending = pending.filter((m) => failed.has(m.messageId));
    }
  }
};

describe('ingest and aggregation on moto_server', () => {
  const opened: TestPipeline[] = [];
  const open = async (options: Parameters<typeof createTestPipeline>[0]) => {
    const pipeline = await createTestPipeline(options);
    opened.push(pipeline);
    return pipeline;
  };
  afterAll(async () => {
    await Promise.all(opened.map((p) => p.close()));
  });

  it('quarantines bad messages with reasons and still stores their valid neighbours', async () => {
    // Prepare: only the history table is read, so no aggregator.
    const pipeline = await open({ nowMs: NOW_MS, aggregate: false });
    const good = [makeEvent({ taskId: 'good-1' }), makeEvent({ taskId: 'good-2', status: 'enqueued' })];
    const bad: Record<string, string> = {
      'not-json': '{"version": 1, "eventId": ',
      'wrong-types': JSON.stringify({ ...makeEvent(), attempt: 'one', durationMs: '12' }),
      'unknown-status': JSON.stringify({ ...makeEvent(), status: 'exploded' }),
      'oversize-params': JSON.stringify(
        makeEvent({ params: { blob: 'x'.repeat(EVENT_LIMITS.maxParamsBytes) } }),
      ),
    };
    const batch = [
      messageOf(good[0]!, 'ok-1', NOW_MS),
      ...Object.entries(bad).map(([id, body]) => messageOf(body, id, NOW_MS)),
      messageOf(good[1]!, 'ok-2', NOW_MS),
    ];
    // Act
    const failed = await pipeline.deliver(batch);
    // Assess
    expect(failed).toEqual([]);
    const history = await pipeline.scan(pipeline.historyTable);
    expect(
      history
        .filter((i) => String(i.pk).startsWith('EX#'))
        .map((i) => fromExecutionItem(i).execution.taskId)
        .sort(),
    ).toEqual(['good-1', 'good-2']);
    const quarantine = history.filter((i) => i.kind === 'quarantine');
    expect(Object.fromEntries(quarantine.map((q) => [q.messageId, q.code]))).toEqual({
      'not-json': 'not-json',
      'wrong-types': 'schema',
      'unknown-status': 'schema',
      'oversize-params': 'schema',
    });
    const reasonOf = (id: string) => String(quarantine.find((q) => q.messageId === id)!.reason);
    expect(reasonOf('wrong-types')).toMatch(/attempt/);
    expect(reasonOf('unknown-status')).toMatch(/status/);
    expect(reasonOf('oversize-params')).toMatch(/params is larger than/);
    expect(quarantine.find((q) => q.messageId === 'not-json')!.body).toBe(bad['not-json']);
    expect(quarantine.every((q) => typeof q.expiresAt === 'number')).toBe(true);
  });

  it('returns exactly the records whose writes failed, and completes them on redelivery without double counting', async () => {
    // Prepare: execution writes of some tasks are throttled, as DynamoDB would.
    const events = generateEvents(42, 120);
    const messages = messagesOf(events, randomUUID());
    const failing = new Set([...new Set(events.map((e) => e.taskId))].slice(0, 10));
    const faults = new FaultInjector({
      seed: 1,
      kinds: ['throttle'],
      select: (call) =>
        call.operation === 'PutItem' &&
        failing.has(
          String((call.input.Item as { pk?: { S?: string } }).pk?.S).slice(EXECUTION_PK_PREFIX.length),
        ),
    });
    const pipeline = await open({
      nowMs: NOW_MS,
      ingestClient: faults.attach(new DynamoDBClient(motoClientConfig())),
    });
    // Act: first delivery with faults
    const failedIds = new Set<string>();
    for (const batch of chunks(messages, BATCH))
      for (const id of await pipeline.deliver(batch)) failedIds.add(id);
    // Assess: exactly the messages of the failing tasks
    const expectedFailed = messages
      .filter((m) => failing.has(JSON.parse(m.body).taskId))
      .map((m) => m.messageId);
    expect([...failedIds].sort()).toEqual(expectedFailed.sort());
    // Act: the faults clear; SQS redelivers the failed records (and, being SQS, a few others again)
    faults.enabled = false;
    const redelivery = messages.filter((m, i) => failedIds.has(m.messageId) || i % 5 === 0);
    await deliverAll(pipeline, chunks(redelivery, BATCH));
    await pipeline.aggregate();
    // Assess: what the events alone say
    const report = checkOracle(events, await snapshotOf(pipeline), ['marketplace'], []);
    expect(report).toEqual({ lost: 0, doubleCounted: 0, differences: 0, examples: [] });
  }, 120_000);
});
