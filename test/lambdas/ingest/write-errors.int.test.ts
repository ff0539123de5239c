import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromExecutionItem } from '../../../lambdas/shared/store/execution-item';
import { motoClientConfig } from '../../support/aws';
import { BASE_TIME_MS, isoAt, makeEvent } from '../../support/events';
import { createTestPipeline, messageOf, type TestPipeline } from '../../support/pipeline';

/**
 * The ingest write path against moto_server with errors injected at the real DynamoDB client: a
 * permanent write error isolates the one event DynamoDB refuses (quarantined with its reason) and
 * stores its neighbours of the same task; a retryable one hands the messages back; merge conflicts are
 * quarantined with their own reasons.
 */

const NOW_MS = BASE_TIME_MS + 3_600_000;

/** Event ids whose execution write DynamoDB refuses (ValidationException) or throttles. */
const refused = new Set<string>();
const throttled = new Set<string>();

const serviceError = (name: string, message: string) =>
  Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });

/** A real client whose PutItem fails when the written execution holds one of the marked event ids. */
const faultyClient = (): DynamoDBClient => {
  const client = new DynamoDBClient({ ...motoClientConfig(), maxAttempts: 1 });
  client.middlewareStack.add(
    (next) => async (args) => {
      const item = (args.input as { Item?: { events?: { L?: { M?: { i?: { S?: string } } }[] } } }).Item;
      const ids = (item?.events?.L ?? []).map((e) => e.M?.i?.S ?? '');
      if (ids.some((id) => refused.has(id)))
        throw serviceError('ValidationException', 'Nesting Levels have exceeded supported limits');
      if (ids.some((id) => throttled.has(id)))
        throw serviceError(
          'ProvisionedThroughputExceededException',
          'Rate of requests exceeds the allowed throughput.',
        );
      return next(args);
    },
    { step: 'finalizeRequest', name: 'injectWriteErrors' },
  );
  return client;
};

describe('ingest write errors and conflicts on moto_server', () => {
  let pipeline: TestPipeline;
  beforeAll(async () => {
    pipeline = await createTestPipeline({ nowMs: NOW_MS, ingestClient: faultyClient(), aggregate: false });
  }, 120_000);
  afterAll(async () => {
    await pipeline?.close();
  });

  /** The stored execution as every reader sees it (derived from its item), or undefined. */
  const executionOf = async (taskId: string) => {
    const item = (await pipeline.scan(pipeline.historyTable)).find((i) => i.pk === `EX#${taskId}`);
    return item === undefined ? undefined : fromExecutionItem(item).execution;
  };
  const quarantineOf = async (messageId: string) =>
    (await pipeline.scan(pipeline.historyTable)).find(
      (i) => i.kind === 'quarantine' && i.messageId === messageId,
    );

  it('quarantines only the event DynamoDB refuses for good and stores its neighbours of the same task', async () => {
    // Prepare: four events of one task in one batch; the write of one of them is refused.
    const taskId = 'task-poison';
    const events = [
      makeEvent({ taskId, status: 'enqueued', occurredAt: isoAt(BASE_TIME_MS) }),
      makeEvent({ taskId, status: 'started', occurredAt: isoAt(BASE_TIME_MS + 1_000) }),
      makeEvent({ taskId, eventId: 'poison-1', status: 'retrying', occurredAt: isoAt(BASE_TIME_MS + 2_000) }),
      makeEvent({ taskId, status: 'succeeded', occurredAt: isoAt(BASE_TIME_MS + 3_000) }),
    ];
    refused.add('poison-1');
    const batch = events.map((e, i) => messageOf(e, `poison-msg-${i}`, NOW_MS));

    // Act
    const failed = await pipeline.deliver(batch);

    // Assess: nothing comes back, the run is stored as succeeded without the refused event.
    expect(failed).toEqual([]);
    const item = await executionOf(taskId);
    expect(item?.status).toBe('succeeded');
    expect((item?.events ?? []).map((e) => e.eventId).sort()).toEqual(
      [events[0]!, events[1]!, events[3]!].map((e) => e.eventId).sort(),
    );
    const q = await quarantineOf('poison-msg-2');
    expect(q).toMatchObject({ code: 'unstorable', body: batch[2]!.body });
    expect(String(q?.reason)).toMatch(/ValidationException: Nesting Levels/);

    // Act again: SQS delivers the same batch once more; the result is the same.
    expect(await pipeline.deliver(batch)).toEqual([]);
    expect((await executionOf(taskId))?.events).toEqual(item?.events);
  });

  it('hands back the messages of a throttled write instead of quarantining them', async () => {
    const taskId = 'task-throttled';
    const event = makeEvent({ taskId, eventId: 'throttled-1', occurredAt: isoAt(BASE_TIME_MS) });
    const neighbour = makeEvent({ taskId, status: 'enqueued', occurredAt: isoAt(BASE_TIME_MS - 1_000) });
    throttled.add('throttled-1');

    const failed = await pipeline.deliver([
      messageOf(event, 'thr-1', NOW_MS),
      messageOf(neighbour, 'thr-2', NOW_MS),
    ]);

    expect(failed.sort()).toEqual(['thr-1', 'thr-2']);
    expect(await quarantineOf('thr-1')).toBeUndefined();
    expect(await executionOf(taskId)).toBeUndefined();
  });

  it('quarantines a schema-valid event with an unstorable number at the contract, neighbours stored', async () => {
    const taskId = 'task-big-number';
    const good = makeEvent({ taskId, status: 'started', occurredAt: isoAt(BASE_TIME_MS) });
    const bad = JSON.stringify(makeEvent({ taskId, status: 'succeeded' })).replace(
      /}$/,
      ',"params":{"n":1e400}}',
    );

    const failed = await pipeline.deliver([
      messageOf(good, 'num-1', NOW_MS),
      messageOf(bad, 'num-2', NOW_MS),
    ]);

    expect(failed).toEqual([]);
    expect((await executionOf(taskId))?.status).toBe('started');
    expect(await quarantineOf('num-2')).toMatchObject({
      code: 'schema',
      reason: expect.stringMatching(/params\.n/),
    });
  });

  it('quarantines a reused eventId with other content and a reused taskId with another type', async () => {
    // Prepare: stored first
    const taskId = 'task-conflicts';
    const started = makeEvent({ taskId, status: 'started', occurredAt: isoAt(BASE_TIME_MS) });
    expect(await pipeline.deliver([messageOf(started, 'conf-1', NOW_MS)])).toEqual([]);
    const reused = { ...started, status: 'failed' as const, occurredAt: isoAt(BASE_TIME_MS + 5_000) };
    const otherType = makeEvent({
      taskId,
      taskType: 'resize_image',
      status: 'succeeded',
      occurredAt: isoAt(BASE_TIME_MS + 6_000),
    });
    const fine = makeEvent({ taskId, status: 'succeeded', occurredAt: isoAt(BASE_TIME_MS + 7_000) });

    // Act
    const failed = await pipeline.deliver([
      messageOf(reused, 'conf-2', NOW_MS),
      messageOf(otherType, 'conf-3', NOW_MS),
      messageOf(fine, 'conf-4', NOW_MS),
      messageOf(started, 'conf-5', NOW_MS),
    ]);

    // Assess
    expect(failed).toEqual([]);
    const item = await executionOf(taskId);
    expect(item).toMatchObject({ status: 'succeeded', taskType: 'send_invoice' });
    expect(item?.events).toHaveLength(2);
    expect(await quarantineOf('conf-2')).toMatchObject({
      code: 'event-conflict',
      taskId,
      eventId: started.eventId,
      source: started.source,
    });
    expect(await quarantineOf('conf-3')).toMatchObject({ code: 'task-type-conflict' });
    expect(await quarantineOf('conf-5')).toBeUndefined();
  });
});
