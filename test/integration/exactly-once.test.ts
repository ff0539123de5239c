import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contributionOf,
  NAME_COUNTER_FIELDS,
  sumDeltas,
  summarizeAggregates,
} from '../../lambdas/domain/aggregate';
import { mergeEvents } from '../../lambdas/domain/execution';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { EVENT_LIMITS } from '../../lambdas/shared/contract/limits';
import { slotOfAggregateSort } from '../../lambdas/shared/names/keys';
import { fromExecutionItem } from '../../lambdas/shared/store/execution-item';
import { motoClientConfig } from '../support/aws';
import { BASE_TIME_MS, makeEvent, makeRandomLifecycle, seededRandom, shuffle } from '../support/events';
import { createTestPipeline, messageOf, type TestMessage, type TestPipeline } from '../support/pipeline';

/**
 * Invariants 1–4 of the design, over the wire against moto_server: nothing acknowledged is lost,
 * exactly-once effect under duplicates and reordering, order independence, bounded blast radius.
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

/**
 * Stored state without what legitimately differs between runs: write versions, the aggregator's
 * ledger, counters that went up and back down to zero (an execution counted in a bucket and later
 * moved, which happens in one delivery order and not in another), and the per-bucket counters of
 * named entries (`NAME_COUNTER_FIELDS`: a name admitted by a count that later moved keeps its entry,
 * decision 0012).
 */
const AGGREGATE_META = new Set(['pk', 'sk', 'scope', 'day', 'slot', 'expiresAt']);

const storedState = async (pipeline: TestPipeline) => {
  const history = (await pipeline.scan(pipeline.historyTable)).map(({ v: _v, ...rest }) => rest);
  const aggregates = (await pipeline.scan(pipeline.stateTable))
    .filter((item) => String(item.pk).startsWith('AG#'))
    .map((item) =>
      Object.fromEntries(
        Object.entries(item).filter(([field, value]) =>
          NAME_COUNTER_FIELDS.has(field)
            ? false
            : AGGREGATE_META.has(field)
              ? true
              : field.startsWith('es_')
                ? item[`e_${field.slice(3)}`] !== 0
                : value !== 0,
        ),
      ),
    )
    .filter((item) => Object.keys(item).some((field) => !AGGREGATE_META.has(field)));
  const active = new Set(aggregates.map((a) => `${a.day}\n${a.scope}`));
  const registry = (await pipeline.scan(pipeline.stateTable))
    .filter((item) => String(item.pk).startsWith('SC#'))
    .filter((item) => active.has(`${String(item.pk).slice(3)}\n${item.sk}`));
  return { history, state: [...aggregates, ...registry] };
};

/** 1,000+ events from ~300 tasks with retries, failures, duplicates sent by the producer, dimensions, metrics. */
const generateEvents = (seed: number, minEvents: number): TaskEvent[] => {
  const rand = seededRandom(seed);
  const events: TaskEvent[] = [];
  while (events.length < minEvents) events.push(...makeRandomLifecycle(rand));
  return events;
};

describe('ingest and aggregation on moto_server', () => {
  const events = generateEvents(42, 1_000);
  const messages = events.map((e, i) => messageOf(e, randomUUID(), BASE_TIME_MS + i));
  let inOrder: TestPipeline;
  let inOrderState: Awaited<ReturnType<typeof storedState>>;

  const opened: TestPipeline[] = [];
  const open = async (options: Parameters<typeof createTestPipeline>[0]) => {
    const pipeline = await createTestPipeline(options);
    opened.push(pipeline);
    return pipeline;
  };
  afterAll(async () => {
    await Promise.all(opened.map((p) => p.close()));
  });

  beforeAll(async () => {
    // Prepare: the reference run, every message once, in the order the producers sent them.
    inOrder = await open({ nowMs: NOW_MS });
    const chronological = [...messages].sort(
      (a, b) => Date.parse(JSON.parse(a.body).occurredAt) - Date.parse(JSON.parse(b.body).occurredAt),
    );
    await deliverAll(inOrder, chunks(chronological, BATCH));
    await inOrder.aggregate();
    inOrderState = await storedState(inOrder);
  }, 300_000);

  it('stores one execution per task and counts each finished execution exactly once', async () => {
    // Assess against an oracle computed from the events alone, without DynamoDB.
    const byTask = new Map<string, TaskEvent[]>();
    for (const e of events) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e]);
    const executions = [...byTask.values()].map((group) => mergeEvents(undefined, group).execution!);
    const stored = inOrderState.history.filter((item) => String(item.pk).startsWith('EX#'));
    expect(stored).toHaveLength(byTask.size);
    for (const item of stored) {
      const execution = fromExecutionItem({ ...item, v: 1 }).execution;
      expect(execution).toEqual(executions.find((x) => x.taskId === execution.taskId));
    }
    const expected = sumDeltas(
      executions
        .flatMap((x) => contributionOf(x, ['marketplace']))
        .map((delta) => ({ delta, sign: 1 as const })),
    );
    const aggregates = inOrderState.state.filter((item) => String(item.pk).startsWith('AG#'));
    const bucketOf = (pk: string, slot: string) =>
      Object.assign(
        {},
        ...aggregates.filter((a) => a.pk === pk && slotOfAggregateSort(String(a.sk)) === slot),
      );
    const buckets = new Set(aggregates.map((a) => `${a.pk}\n${slotOfAggregateSort(String(a.sk))}`));
    expect(buckets.size).toBe(expected.length);
    for (const delta of expected) {
      const item = bucketOf(`AG#${delta.target.scope}#${delta.target.day}`, delta.target.slot);
      for (const [field, value] of Object.entries(delta.counters)) {
        expect(item[field], `${delta.target.scope} ${delta.target.slot} ${field}`).toBeCloseTo(value, 6);
      }
    }
    const total = summarizeAggregates(aggregates.filter((a) => !String(a.pk).includes('|')));
    expect(total.finished).toBe(executions.filter((x) => x.finishedAt !== undefined).length);
  });

  it('gives the same records and aggregates when every message arrives three times in random order', async () => {
    // Prepare
    const replay = await open({ nowMs: NOW_MS });
    const rand = seededRandom(7);
    const tripled = shuffle(rand, [...messages, ...messages, ...messages]);
    // Act: random batches, aggregation interleaved with ingest as the stream would run it.
    for (const [i, batch] of chunks(tripled, BATCH).entries()) {
      await deliverAll(replay, [batch]);
      if (i % 7 === 0) await replay.aggregate();
    }
    await replay.aggregate();
    // Assess
    expect(await storedState(replay)).toEqual(inOrderState);
  }, 300_000);

  it('quarantines bad messages with reasons and still stores their valid neighbours', async () => {
    // Prepare
    const pipeline = await open({ nowMs: NOW_MS });
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
        .map((i) => i.taskId)
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
    // Prepare: a client whose execution writes fail for some tasks, as DynamoDB throttling would.
    const failing = new Set<string>();
    const faulty = new DynamoDBClient(motoClientConfig());
    faulty.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Item?: { taskId?: { S?: string } } };
        const taskId = input.Item?.taskId?.S;
        if (taskId !== undefined && failing.has(taskId)) {
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
            name: 'ProvisionedThroughputExceededException',
            $fault: 'client',
            $metadata: {},
          });
        }
        return next(args);
      },
      { step: 'finalizeRequest', name: 'injectThrottling' },
    );
    const pipeline = await open({ nowMs: NOW_MS, ingestClient: faulty });
    const taskIds = [...new Set(events.map((e) => e.taskId))];
    for (const id of taskIds.slice(0, 40)) failing.add(id);
    const batches = chunks(messages, BATCH);
    // Act: first delivery with faults
    const failedIds = new Set<string>();
    for (const batch of batches) for (const id of await pipeline.deliver(batch)) failedIds.add(id);
    // Assess: exactly the messages of the failing tasks
    const expectedFailed = messages
      .filter((m) => failing.has(JSON.parse(m.body).taskId))
      .map((m) => m.messageId);
    expect([...failedIds].sort()).toEqual(expectedFailed.sort());
    // Act: the faults clear; SQS redelivers the failed records (and, being SQS, a few others again)
    failing.clear();
    const redelivery = messages.filter((m) => failedIds.has(m.messageId) || m.sentAtMs % 5 === 0);
    await deliverAll(pipeline, chunks(redelivery, BATCH));
    await pipeline.aggregate();
    // Assess: same state as the clean in-order run
    expect(await storedState(pipeline)).toEqual(inOrderState);
  }, 300_000);
});
