import {
  RequestThrottled,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTaskEvent, type TaskEvent } from '../../lambdas/shared/contract/event';
import { freePort } from '../../local/moto';
import { createTaskpulse } from '../../sdk/src/client';
import type { DropReport, SqsSender } from '../../sdk/src/options';
import { createTestQueue, withInjectedFailures } from './sqs-queue';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parse every body with the contract, as the ingest Lambda would, and group the events by task. */
const byTask = (bodies: readonly string[]): Map<string, TaskEvent[]> => {
  const tasks = new Map<string, TaskEvent[]>();
  for (const body of bodies) {
    const parsed = parseTaskEvent(body, Date.now());
    if (!parsed.ok) throw new Error(`invalid event on the queue: ${parsed.rejection.reason}`);
    tasks.set(parsed.event.taskId, [...(tasks.get(parsed.event.taskId) ?? []), parsed.event]);
  }
  return tasks;
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

describe('SDK against moto_server', () => {
  // Messages per request is a throughput figure: `npm run bench` prints it (sdk.messagesPerRequest);
  // test/sdk/sender.test.ts proves full batches go out at once.
  it('tracked tasks from 10 concurrent workers produce valid started/terminal pairs', async () => {
    // Prepare: 10 workers run 10 tasks each; every 7th task fails
    const queue = await createTestQueue();
    cleanups.push(queue.destroy);
    const taskpulse = createTaskpulse({ queueUrl: queue.queueUrl, sqs: queue.paced(), source: 'it-worker' });
    const planned = new Map<string, { sleepMs: number; fails: boolean }>();

    // Act
    await Promise.all(
      Array.from({ length: 10 }, async (_, worker) => {
        for (let i = 0; i < 10; i++) {
          const n = worker * 10 + i;
          const plan = { sleepMs: n % 4, fails: n % 7 === 0 };
          const taskId = `task-${n}`;
          planned.set(taskId, plan);
          const run = taskpulse.track(
            'it.resize',
            { taskId, dimensions: { worker: `w${worker}` } },
            async () => {
              await sleep(plan.sleepMs);
              if (plan.fails) throw new RangeError(`task ${n} failed`);
              return n;
            },
          );
          expect(await run.catch((e: unknown) => e)).toEqual(plan.fails ? expect.any(RangeError) : n);
        }
      }),
    );
    await taskpulse.close();

    // Assess: the SDK says it sent every event, and every one arrived
    const { stats } = taskpulse;
    expect(stats).toMatchObject({ sent: 200, dropped: 0, retried: 0 });
    expect(queue.wire.sendMessageBatchRequests).toBe(stats.requests);
    const tasks = byTask(await queue.collect(200));
    expect(tasks.size).toBe(100);
    for (const [taskId, events] of tasks) {
      const plan = planned.get(taskId)!;
      const terminal = events.find((e) => e.status !== 'started')!;
      expect(events.map((e) => e.status).sort()).toEqual(
        [plan.fails ? 'failed' : 'succeeded', 'started'].sort(),
      );
      expect(terminal.durationMs).toBeGreaterThanOrEqual(Math.max(0, plan.sleepMs - 1));
      if (plan.fails)
        expect(terminal.error).toMatchObject({
          type: 'RangeError',
          message: expect.stringMatching(/failed$/),
        });
    }
  });

  it('loses nothing to throttling and partial batch failures once SQS recovers', async () => {
    // Prepare: for its first 30 requests SQS throttles every third one and fails the even entries of
    // the next; the SDK backs off and re-sends only what failed, with a retry budget that outlasts it
    const queue = await createTestQueue();
    cleanups.push(queue.destroy);
    let calls = 0;
    const flaky: SqsSender = {
      async send(command) {
        calls++;
        if (calls > 30 || calls % 3 === 0) return queue.sqs.send(command);
        if (calls % 3 === 1) {
          throw new RequestThrottled({
            message: 'Request is throttled.',
            $metadata: { httpStatusCode: 400 },
          });
        }
        const entries = command.input.Entries ?? [];
        const keep = entries.filter((_, i) => i % 2 === 1);
        const fail = entries.filter((_, i) => i % 2 === 0).map((e) => e.Id!);
        const output: SendMessageBatchCommandOutput =
          keep.length > 0
            ? await queue.sqs.send(new SendMessageBatchCommand({ ...command.input, Entries: keep }))
            : { $metadata: {}, Successful: [], Failed: [] };
        return withInjectedFailures(output, fail);
      },
    };
    const drops: DropReport[] = [];
    const taskpulse = createTaskpulse({
      queueUrl: queue.queueUrl,
      sqs: flaky,
      maxRetries: 40,
      retryBaseDelayMs: 5,
      retryMaxDelayMs: 40,
      onDrop: (report) => drops.push(report),
    });

    // Act
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, n) =>
        taskpulse.track('it.flaky', { taskId: `flaky-${n}` }, async () => n * 2),
      ),
    );
    await taskpulse.flush();

    // Assess
    expect(results).toEqual(Array.from({ length: 60 }, (_, n) => n * 2));
    expect(drops).toEqual([]);
    expect(taskpulse.stats).toMatchObject({ sent: 120, dropped: 0 });
    expect(taskpulse.stats.retried).toBeGreaterThan(0);
    const tasks = byTask(await queue.collect(120));
    expect(tasks.size).toBe(60);
    for (const events of tasks.values())
      expect(events.map((e) => e.status).sort()).toEqual(['started', 'succeeded']);
    await taskpulse.close();
  });

  it('with SQS unreachable, tasks keep their results and every event is counted as dropped', async () => {
    // Prepare: nothing listens on this port. That track() does not wait for delivery is proved with a
    // held request in test/sdk/client.test.ts, not with a clock here.
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const drops: DropReport[] = [];
    const taskpulse = createTaskpulse({
      queueUrl: `${endpoint}/123456789012/events`,
      clientConfig: {
        endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      },
      maxBufferSize: 100,
      maxRetries: 1,
      retryBaseDelayMs: 50,
      retryMaxDelayMs: 50,
      onDrop: (report) => drops.push(report),
    });
    const task = async (n: number) => {
      await sleep(10);
      return n;
    };

    // Act
    const sequential: number[] = [];
    for (let n = 0; n < 20; n++) sequential.push(await taskpulse.track('it.down', {}, () => task(n)));
    const burst = await Promise.all(
      Array.from({ length: 500 }, (_, n) => taskpulse.track('it.down', {}, () => n)),
    );
    await taskpulse.close();

    // Assess
    expect(sequential).toEqual(Array.from({ length: 20 }, (_, n) => n));
    expect(burst).toEqual(Array.from({ length: 500 }, (_, n) => n));
    const { stats } = taskpulse;
    expect(stats.sent).toBe(0);
    expect(stats.dropped).toBe(2 * (20 + 500));
    expect(drops.reduce((sum, d) => sum + d.count, 0)).toBe(stats.dropped);
    expect(new Set(drops.map((d) => d.reason))).toEqual(new Set(['retries-exhausted', 'buffer-full']));
  });

  it('in a Lambda handler, flush() before returning puts every event on the queue', async () => {
    // Prepare: a long interval, so only the flush can have sent them
    const queue = await createTestQueue();
    cleanups.push(queue.destroy);
    const taskpulse = createTaskpulse({ queueUrl: queue.queueUrl, sqs: queue.sqs, flushIntervalMs: 60_000 });
    const handler = async (event: { ids: number[] }) => {
      try {
        return await Promise.all(event.ids.map((id) => taskpulse.track('it.lambda', {}, async () => id + 1)));
      } finally {
        await taskpulse.flush();
      }
    };

    // Act
    const result = await handler({ ids: [1, 2, 3] });

    // Assess
    expect(result).toEqual([2, 3, 4]);
    expect(taskpulse.stats).toMatchObject({ sent: 6, buffered: 0, requests: 1 });
    expect(await queue.collect(6)).toHaveLength(6);
  });
});
