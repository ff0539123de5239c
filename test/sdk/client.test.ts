import { describe, expect, it } from 'vitest';
import { type TaskEvent, validateTaskEvent } from '../../lambdas/shared/contract/event';
import { EVENT_LIMITS } from '../../lambdas/shared/contract/limits';
import { createTaskpulse } from '../../sdk/src/client';
import { TaskpulseConfigError, TaskpulseValidationError } from '../../sdk/src/errors';
import type { DropReport, TaskpulseOptions } from '../../sdk/src/options';
import { batchOutput, FakeSqs, gate } from './fake-sqs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client over an in-memory SQS; `sent()` flushes and returns the accepted events. */
const setup = (options: TaskpulseOptions = {}) => {
  const sqs = new FakeSqs();
  const drops: DropReport[] = [];
  const taskpulse = createTaskpulse({
    queueUrl: 'http://127.0.0.1:1/000000000000/events',
    source: 'unit-test',
    sqs,
    onDrop: (report) => drops.push(report),
    ...options,
  });
  const sent = async (): Promise<TaskEvent[]> => {
    await taskpulse.flush();
    return sqs.events();
  };
  return { taskpulse, sqs, drops, sent };
};

const expectValid = (events: readonly TaskEvent[]) => {
  for (const event of events) expect(validateTaskEvent(event, Date.now())).toEqual({ ok: true, event });
};

describe('track', () => {
  it('emits started then succeeded with the run time, and returns the result', async () => {
    // Prepare
    const { taskpulse, sent } = setup();
    const options = {
      taskId: 'task-1',
      jobId: 'job-1',
      params: { invoiceId: 42 },
      dimensions: { tenant: 'acme' },
    };

    // Act
    const result = await taskpulse.track('send-invoice', options, async () => {
      await sleep(20);
      return { ok: true };
    });

    // Assess
    expect(result).toEqual({ ok: true });
    const events = await sent();
    expectValid(events);
    expect(events.map((e) => e.status)).toEqual(['started', 'succeeded']);
    for (const event of events) {
      expect(event).toMatchObject({ ...options, taskType: 'send-invoice', attempt: 1, source: 'unit-test' });
    }
    expect(events[0]!.durationMs).toBeUndefined();
    expect(events[1]!.durationMs).toBeGreaterThanOrEqual(19);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(2);
  });

  it('returns the result without waiting for SQS to answer', async () => {
    // Prepare: SQS holds every request open until the end of the test
    const held = gate();
    const sqs = new FakeSqs(async (entries) => {
      await held.promise;
      return batchOutput(entries);
    });
    const taskpulse = createTaskpulse({ queueUrl: 'http://127.0.0.1:1/000000000000/events', sqs });

    // Act: 30 calls, one after the other, 60 events: full batches go out and hang
    const results: number[] = [];
    for (let n = 0; n < 30; n++) results.push(await taskpulse.track('unit.held', {}, async () => n));

    // Assess: every call returned while no request had been answered
    expect(results).toEqual([...Array(30).keys()]);
    expect(taskpulse.stats.sent).toBe(0);
    expect(taskpulse.stats.inFlightRequests).toBeGreaterThan(0);
    held.open();
    await taskpulse.close();
    expect(taskpulse.stats).toMatchObject({ sent: 60, dropped: 0 });
  });

  it('rethrows the very error the task threw and reports it as failed', async () => {
    // Prepare
    const { taskpulse, sent } = setup();
    const error = new TypeError('cannot read invoice');

    // Act
    const caught = await taskpulse
      .track('send-invoice', { attempt: 2 }, () => {
        throw error;
      })
      .catch((e: unknown) => e);

    // Assess
    expect(caught).toBe(error);
    const [started, failed] = await sent();
    expect(started).toMatchObject({ status: 'started', attempt: 2 });
    expect(failed).toMatchObject({
      status: 'failed',
      attempt: 2,
      taskId: started!.taskId,
      error: { type: 'TypeError', message: 'cannot read invoice', stack: error.stack },
    });
    expect(failed!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('trims a huge error to the contract limits instead of losing the event', async () => {
    const { taskpulse, sent } = setup();
    const error = new Error('m'.repeat(50_000));
    error.stack = '€'.repeat(50_000);

    await expect(taskpulse.track('parse', {}, () => Promise.reject(error))).rejects.toBe(error);

    const failed = (await sent())[1]!;
    expectValid([failed]);
    expect(failed.error!.message).toHaveLength(EVENT_LIMITS.maxErrorMessageChars);
    expect(Buffer.byteLength(JSON.stringify(failed))).toBeLessThanOrEqual(EVENT_LIMITS.maxEventBytes);
  });

  it('leaves out the stack when a multi-byte error would not fit in one message', async () => {
    // Prepare: trimmed to the character limits, 12 KB of stack, 3 KB of message and 2 KB of params
    const { taskpulse, sent, drops } = setup();
    const params = { note: '€'.repeat(600) };
    const error = new Error('€'.repeat(5_000));
    error.stack = '€'.repeat(5_000);

    // Act
    await expect(taskpulse.track('parse', { params }, () => Promise.reject(error))).rejects.toBe(error);

    // Assess
    const failed = (await sent())[1]!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ type: 'Error', message: expect.stringMatching(/^€+…$/) });
    expect(drops).toEqual([]);
  });

  it('reports retrying when the queue will run the task again', async () => {
    const { taskpulse, sent } = setup();
    const transient = new Error('timeout');

    await expect(taskpulse.track('fetch', { willRetry: true }, () => Promise.reject(transient))).rejects.toBe(
      transient,
    );
    await expect(
      taskpulse.track('fetch', { willRetry: (e) => e !== transient }, () => Promise.reject(transient)),
    ).rejects.toBe(transient);

    expect((await sent()).map((e) => e.status)).toEqual(['started', 'retrying', 'started', 'failed']);
  });

  it('puts metrics set during the run on the terminal event', async () => {
    const { taskpulse, sent } = setup();

    await taskpulse.track('summarize', { metrics: { inputChars: 900 } }, (context) => {
      context.setMetric('tokens', 1234);
      return context.taskId;
    });

    const [started, succeeded] = await sent();
    expect(started!.metrics).toEqual({ inputChars: 900 });
    expect(succeeded!.metrics).toEqual({ inputChars: 900, tokens: 1234 });
  });

  it('allows at most the contract number of metrics, overwriting included', async () => {
    const { taskpulse } = setup();
    const ten = Object.fromEntries(Array.from({ length: EVENT_LIMITS.maxMetrics }, (_, i) => [`m${i}`, i]));

    await taskpulse.track('summarize', { metrics: ten }, (context) => context.setMetric('m0', 42));
    const caught = await taskpulse
      .track('summarize', { metrics: ten }, (context) => context.setMetric('constructor', 1))
      .catch((e: unknown) => e);

    expect(caught).toBeInstanceOf(TaskpulseValidationError);
    expect((caught as TaskpulseValidationError).reason).toBe('metrics: at most 10 metrics are allowed');
  });

  it('refuses a bad metric at the call site', async () => {
    const { taskpulse } = setup();

    const caught = await taskpulse
      .track('summarize', {}, (context) => context.setMetric('Bad Name', 1))
      .catch((e: unknown) => e);

    expect(caught).toBeInstanceOf(TaskpulseValidationError);
  });

  it('throws a validation error for an invalid task type without running the task', async () => {
    // Prepare
    const { taskpulse, sqs } = setup();
    let ran = false;

    // Act
    const caught = await taskpulse
      .track('not a type!', {}, () => {
        ran = true;
      })
      .catch((e: unknown) => e);

    // Assess
    expect(caught).toBeInstanceOf(TaskpulseValidationError);
    expect((caught as TaskpulseValidationError).reason).toMatch(/^taskType: /);
    expect(ran).toBe(false);
    await taskpulse.flush();
    expect(sqs.accepted).toHaveLength(0);
  });

  it('still runs tasks after close; their events are dropped and counted', async () => {
    const { taskpulse, drops } = setup();
    await taskpulse.close();

    const result = await taskpulse.track('late', {}, () => 7);

    expect(result).toBe(7);
    expect(drops.map((d) => d.reason)).toEqual(['closed', 'closed']);
    expect(taskpulse.stats.dropped).toBe(2);
  });
});

describe('enqueued and emit', () => {
  it('joins the producing and the consuming side by taskId', async () => {
    const { taskpulse, sent } = setup();

    const enqueued = taskpulse.enqueued('resize-image', { params: { key: 'a.png' } });
    await taskpulse.track('resize-image', { taskId: enqueued.taskId }, () => 'done');

    const events = await sent();
    expect(events.map((e) => [e.status, e.taskId])).toEqual([
      ['enqueued', enqueued.taskId],
      ['started', enqueued.taskId],
      ['succeeded', enqueued.taskId],
    ]);
  });

  it('emit fills the bookkeeping fields and returns the event it queued', async () => {
    const { taskpulse, sent } = setup();

    const event = taskpulse.emit({ taskId: 't-9', taskType: 'cron.nightly', status: 'cancelled' });

    expect(event).toMatchObject({ version: 1, attempt: 1, source: 'unit-test', status: 'cancelled' });
    expect(event.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await sent()).toEqual([event]);
  });

  it('emit throws a typed error naming the problem for oversize params', () => {
    const { taskpulse } = setup();

    expect(() =>
      taskpulse.emit({ taskId: 't', taskType: 'x', status: 'started', params: { blob: 'x'.repeat(5_000) } }),
    ).toThrowError(
      new TaskpulseValidationError({
        code: 'schema',
        reason: 'params: params is larger than 2048 bytes as JSON; send less or redact',
      }),
    );
  });
});

describe('createTaskpulse', () => {
  it('refuses an invalid source at creation', () => {
    expect(() => createTaskpulse({ queueUrl: 'q', source: 'has spaces', sqs: new FakeSqs() })).toThrow(
      TaskpulseConfigError,
    );
  });
});
