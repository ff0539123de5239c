import { describe, expect, it } from 'vitest';
import {
  deriveExecution,
  type Execution,
  errorTypeOf,
  MAX_EVENTS_PER_EXECUTION,
  mergeEvents,
  toEventRecord,
  UNKNOWN_ERROR_TYPE,
} from '../../../lambdas/domain/execution';
import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import {
  BASE_TIME_MS,
  isoAt,
  makeEvent,
  makeLifecycle,
  makeRandomLifecycle,
  randomInt,
  seededRandom,
  shuffle,
  withOffset,
} from '../../support/events';

/** Merge events one message at a time, as separate deliveries would. */
const mergeOneByOne = (events: readonly TaskEvent[], start?: Execution): Execution | undefined =>
  events.reduce<Execution | undefined>((x, e) => mergeEvents(x, [e]).execution, start);

/** Merge events in consecutive batches of random sizes. */
const mergeInChunks = (rand: () => number, events: readonly TaskEvent[]): Execution | undefined => {
  let x: Execution | undefined;
  for (let i = 0; i < events.length; ) {
    const size = randomInt(rand, 1, 4);
    x = mergeEvents(x, events.slice(i, i + size)).execution;
    i += size;
  }
  return x;
};

/** The execution of a set of events, merged in one call; fails the test if nothing was merged. */
const executionOf = (events: readonly TaskEvent[]): Execution => {
  const result = mergeEvents(undefined, events);
  if (!result.changed) throw new Error('expected the events to create an execution');
  return result.execution;
};

const at = (offsetMs: number): string => isoAt(BASE_TIME_MS + offsetMs);

describe('mergeEvents: idempotency', () => {
  it('creates an execution from the first event', () => {
    // Prepare
    const event = makeEvent({ status: 'enqueued', taskId: 'task-a' });

    // Act
    const result = mergeEvents(undefined, [event]);

    // Assess
    expect(result.changed).toBe(true);
    expect(result.rejected).toEqual([]);
    expect(result.execution).toMatchObject({
      taskId: 'task-a',
      taskType: 'send_invoice',
      status: 'enqueued',
      attempt: 1,
      createdAt: event.occurredAt,
      enqueuedAt: event.occurredAt,
    });
  });

  it('replaying events already merged changes nothing', () => {
    // Prepare
    const events = makeLifecycle({ attempts: 2, params: { invoiceId: 7 } });
    const execution = executionOf(events);

    // Act
    const replayAll = mergeEvents(execution, events);
    const replayOne = mergeEvents(execution, [events[1]!]);

    // Assess
    expect(replayAll).toEqual({ changed: false, execution, rejected: [] });
    expect(replayAll.execution).toBe(execution);
    expect(replayOne.changed).toBe(false);
  });

  it('a duplicate inside one batch counts once', () => {
    // Prepare
    const [enqueued, started] = makeLifecycle({ outcome: 'running' });

    // Act
    const execution = executionOf([enqueued!, started!, started!, enqueued!]);

    // Assess
    expect(execution.events.map((e) => e.eventId)).toEqual([enqueued!.eventId, started!.eventId]);
  });

  it('an empty batch on no execution changes nothing', () => {
    // Act
    const result = mergeEvents(undefined, []);

    // Assess
    expect(result).toEqual({ changed: false, execution: undefined, rejected: [] });
  });

  it('a redelivered event with the same eventId is ignored even if its content differs', () => {
    // Prepare: eventId is the identity; the first version stored wins
    const started = makeEvent({ status: 'started' });
    const execution = executionOf([started]);

    // Act
    const result = mergeEvents(execution, [{ ...started, status: 'failed' }]);

    // Assess
    expect(result.changed).toBe(false);
    expect(result.execution?.status).toBe('started');
  });
});

describe('mergeEvents: order independence', () => {
  it('every arrival order, with duplicates, gives the execution of the in-order merge', () => {
    // Prepare
    const rand = seededRandom(20260302);
    let compared = 0;
    for (let i = 0; i < 200; i++) {
      const events = makeRandomLifecycle(rand, `task-${i}`);
      const inOrder = mergeOneByOne(events);
      const allAtOnce = executionOf(events);

      // Act / Assess
      expect(allAtOnce).toEqual(inOrder);
      for (let s = 0; s < 6; s++) {
        const deliveries = shuffle(
          rand,
          events.flatMap((e) => Array.from({ length: randomInt(rand, 1, 3) }, () => e)),
        );
        expect(mergeOneByOne(deliveries)).toEqual(inOrder);
        expect(mergeInChunks(rand, deliveries)).toEqual(inOrder);
        expect(executionOf(deliveries)).toEqual(inOrder);
        compared += 3;
      }
    }
    expect(compared).toBe(3600);
  });

  it('every permutation of a retried lifecycle gives the same execution', () => {
    // Prepare: enqueued, started#1, retrying#1, started#2, failed#2 → 120 permutations
    const events = makeLifecycle({ attempts: 2, outcome: 'failed', params: { invoiceId: 1 } });
    const expected = mergeOneByOne(events);
    const permutations = (items: readonly TaskEvent[]): TaskEvent[][] =>
      items.length <= 1
        ? [[...items]]
        : items.flatMap((item, i) =>
            permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
          );

    // Act
    const results = permutations(events).map((p) => mergeOneByOne(p));

    // Assess
    expect(results).toHaveLength(120);
    for (const result of results) expect(result).toEqual(expected);
  });

  it('keeps events in canonical order whatever the arrival order', () => {
    // Prepare
    const events = makeLifecycle({ attempts: 2 });

    // Act
    const execution = mergeOneByOne([...events].reverse())!;

    // Assess
    expect(execution.events.map((e) => e.eventId)).toEqual(events.map((e) => e.eventId));
  });
});

describe('mergeEvents: lifecycle and state', () => {
  it('a late started never moves a finished task back', () => {
    // Prepare
    const [enqueued, started, succeeded] = makeLifecycle({ withDuration: false });
    const finished = executionOf([enqueued!, succeeded!]);

    // Act
    const result = mergeEvents(finished, [started!]);

    // Assess
    expect(finished.status).toBe('succeeded');
    expect(finished.runMs).toBeUndefined();
    expect(result.changed).toBe(true);
    expect(result.execution).toMatchObject({
      status: 'succeeded',
      finishedAt: succeeded!.occurredAt,
      startedAt: started!.occurredAt,
      runMs: 2_000,
      waitMs: 1_500,
    });
  });

  it('a late started with a skewed clock (after the finish) still leaves the task finished', () => {
    // Prepare
    const finished = executionOf([makeEvent({ status: 'succeeded', occurredAt: at(0) })]);

    // Act
    const result = mergeEvents(finished, [makeEvent({ status: 'started', occurredAt: at(5_000) })]);

    // Assess
    expect(result.execution?.status).toBe('succeeded');
    expect(result.execution?.finishedAt).toBe(at(0));
    expect(result.execution?.runMs).toBeUndefined();
  });

  it('a late event of an earlier attempt does not move the task back', () => {
    // Prepare
    const events = makeLifecycle({ attempts: 2 });
    const retryOfFirst = events.find((e) => e.status === 'retrying')!;
    const rest = events.filter((e) => e !== retryOfFirst);
    const finished = executionOf(rest);

    // Act
    const result = mergeEvents(finished, [retryOfFirst]);

    // Assess
    expect(result.execution).toMatchObject({ status: 'succeeded', attempt: 2 });
  });

  it('the highest attempt decides even when an earlier attempt reports a later time (clock skew)', () => {
    // Prepare: attempt 1's host reports its retry after attempt 2 already succeeded elsewhere
    const events = [
      makeEvent({ status: 'started', attempt: 2, occurredAt: at(1_000) }),
      makeEvent({ status: 'succeeded', attempt: 2, occurredAt: at(2_000) }),
      makeEvent({ status: 'retrying', attempt: 1, occurredAt: at(3_000), error: { type: 'TimeoutError' } }),
    ];

    // Act
    const execution = executionOf(events);

    // Assess
    expect(execution).toMatchObject({ status: 'succeeded', attempt: 2, finishedAt: at(2_000), runMs: 1_000 });
  });

  it('keeps retries: the status follows the highest attempt and its furthest step', () => {
    // Prepare
    const events = makeLifecycle({ attempts: 3, outcome: 'running' });
    const [enqueued, start1, retry1, start2, retry2, start3] = events;

    // Act
    const afterRetry1 = mergeOneByOne([enqueued!, start1!, retry1!]);
    const afterStart2 = mergeOneByOne([start2!], afterRetry1);
    const afterRetry2 = mergeOneByOne([retry2!], afterStart2);
    const afterStart3 = mergeOneByOne([start3!], afterRetry2);

    // Assess
    expect([afterRetry1, afterStart2, afterRetry2, afterStart3].map((x) => [x?.status, x?.attempt])).toEqual([
      ['retrying', 1],
      ['started', 2],
      ['retrying', 2],
      ['started', 3],
    ]);
    expect(afterStart3?.finishedAt).toBeUndefined();
    expect(afterStart3?.events).toHaveLength(6);
  });

  it('derives wait time to the first start and run time of the final attempt', () => {
    // Prepare: enqueued 0, started#1 1.5 s, retrying#1 3.5 s, started#2 4 s, succeeded#2 6 s
    const events = makeLifecycle({ attempts: 2, withDuration: false });

    // Act
    const execution = executionOf(events);

    // Assess
    expect(execution).toMatchObject({
      enqueuedAt: at(0),
      firstStartedAt: at(1_500),
      startedAt: at(4_000),
      finishedAt: at(6_000),
      waitMs: 1_500,
      runMs: 2_000,
      attempt: 2,
    });
  });

  it("prefers the terminal event's durationMs over the clock difference", () => {
    // Prepare
    const events = [
      makeEvent({ status: 'started', occurredAt: at(0) }),
      makeEvent({ status: 'succeeded', occurredAt: at(5_000), durationMs: 4_321.5 }),
    ];

    // Act
    const execution = executionOf(events);

    // Assess
    expect(execution.runMs).toBe(4_321.5);
  });

  it('has a run time from durationMs alone when the start never arrived', () => {
    // Act
    const execution = executionOf([makeEvent({ status: 'failed', durationMs: 800 })]);

    // Assess
    expect(execution.runMs).toBe(800);
    expect(execution.startedAt).toBeUndefined();
    expect(execution.waitMs).toBeUndefined();
  });

  it('has no wait time without an enqueued event, and no negative times', () => {
    // Prepare: a start that the producer clock puts before the enqueue
    const noEnqueue = [makeEvent({ status: 'started', occurredAt: at(0) })];
    const skewed = [
      makeEvent({ status: 'enqueued', occurredAt: at(1_000) }),
      makeEvent({ status: 'started', occurredAt: at(0) }),
    ];

    // Act
    const [a, b] = [executionOf(noEnqueue), executionOf(skewed)];

    // Assess
    expect(a.waitMs).toBeUndefined();
    expect(b.waitMs).toBeUndefined();
    expect(b.createdAt).toBe(at(0));
  });

  it('among several terminal events of the final attempt, the latest wins', () => {
    // Prepare
    const events = [
      makeEvent({ status: 'started', occurredAt: at(0) }),
      makeEvent({ status: 'succeeded', occurredAt: at(1_000) }),
      makeEvent({ status: 'cancelled', occurredAt: at(2_000) }),
    ];

    // Act
    const execution = mergeOneByOne([events[2]!, events[0]!, events[1]!])!;

    // Assess
    expect(execution.status).toBe('cancelled');
    expect(execution.finishedAt).toBe(at(2_000));
  });

  it('normalises occurredAt to UTC with milliseconds', () => {
    // Prepare
    const event = makeEvent({ occurredAt: withOffset(at(0), 2) });

    // Act
    const execution = executionOf([event]);

    // Assess
    expect(event.occurredAt).toBe('2026-03-02T12:00:00.000+02:00');
    expect(execution.createdAt).toBe('2026-03-02T10:00:00.000Z');
    expect(execution.events[0]?.occurredAt).toBe('2026-03-02T10:00:00.000Z');
  });

  it('keeps the latest value per dimension and metric key, and the latest source, job and parent', () => {
    // Prepare
    const events = [
      makeEvent({
        status: 'enqueued',
        occurredAt: at(0),
        source: 'api',
        jobId: 'job-1',
        dimensions: { marketplace: 'DE', tenant: 'acme' },
      }),
      makeEvent({
        status: 'succeeded',
        occurredAt: at(1_000),
        source: 'worker',
        parentTaskId: 'task-parent',
        dimensions: { marketplace: 'FR' },
        metrics: { tokens: 12 },
      }),
    ];

    // Act
    const execution = mergeOneByOne([...events].reverse())!;

    // Assess
    expect(execution).toMatchObject({
      dimensions: { marketplace: 'FR', tenant: 'acme' },
      metrics: { tokens: 12 },
      source: 'worker',
      jobId: 'job-1',
      parentTaskId: 'task-parent',
    });
  });
});

describe('mergeEvents: params and error come from the latest event that carried them', () => {
  it('params: the later event wins whatever the arrival order', () => {
    // Prepare
    const first = makeEvent({ status: 'enqueued', occurredAt: at(0), params: { invoiceId: 1 } });
    const second = makeEvent({ status: 'started', occurredAt: at(1_000), params: { invoiceId: 2 } });
    const third = makeEvent({ status: 'succeeded', occurredAt: at(2_000) });

    // Act
    const forward = mergeOneByOne([first, second, third])!;
    const backward = mergeOneByOne([third, second, first])!;

    // Assess
    expect(forward.params).toEqual({ invoiceId: 2 });
    expect(backward).toEqual(forward);
  });

  it('error: the latest error is kept with its stack, and an event without one does not clear it', () => {
    // Prepare
    const retry = makeEvent({
      status: 'retrying',
      occurredAt: at(1_000),
      error: { type: 'TimeoutError', message: 'slow' },
    });
    const failed = makeEvent({
      status: 'failed',
      occurredAt: at(3_000),
      attempt: 2,
      error: { type: 'ValidationError', message: 'bad amount', stack: 'ValidationError\n  at check' },
    });
    const lateStart = makeEvent({ status: 'started', occurredAt: at(2_000), attempt: 2 });

    // Act
    const execution = mergeOneByOne([failed, lateStart, retry])!;

    // Assess
    expect(execution.error).toEqual({
      type: 'ValidationError',
      message: 'bad amount',
      stack: 'ValidationError\n  at check',
    });
    expect(errorTypeOf(execution)).toBe('ValidationError');
  });

  it('a failure without error details keeps the earlier error, or counts as Unknown', () => {
    // Prepare
    const retry = makeEvent({ status: 'retrying', occurredAt: at(0), error: { type: 'TimeoutError' } });
    const failed = makeEvent({ status: 'failed', occurredAt: at(1_000), attempt: 2 });

    // Act
    const withEarlier = executionOf([retry, failed]);
    const bare = executionOf([failed]);

    // Assess
    expect(errorTypeOf(withEarlier)).toBe('TimeoutError');
    expect(errorTypeOf(bare)).toBe(UNKNOWN_ERROR_TYPE);
  });

  it('cuts error messages kept per event to 256 characters', () => {
    // Act
    const execution = executionOf([
      makeEvent({ status: 'failed', error: { type: 'E', message: 'm'.repeat(1_000) } }),
    ]);

    // Assess
    expect(execution.events[0]?.errorMessage).toHaveLength(256);
    expect(execution.error?.message).toHaveLength(1_000);
  });
});

describe('toEventRecord', () => {
  it('cuts the timeline error message without splitting a surrogate pair (which DynamoDB could not store)', () => {
    // Prepare: the 256th UTF-16 unit is the first half of an emoji.
    const message = `${'a'.repeat(255)}\u{1F600}tail`;

    // Act
    const record = toEventRecord(makeEvent({ status: 'failed', error: { type: 'E', message } }));

    // Assess
    expect(record.errorMessage).toBe('a'.repeat(255));
  });
});

describe('mergeEvents: overflow', () => {
  const manyEvents = (n: number): TaskEvent[] =>
    Array.from({ length: n }, (_, i) =>
      makeEvent({ status: 'started', attempt: 1 + (i % 50), occurredAt: at(i * 1_000) }),
    );
  const tooMany = (event: TaskEvent) => ({
    event,
    rejection: { code: 'too-many-events', reason: expect.stringContaining('maximum number of events') },
  });

  it(`keeps at most ${MAX_EVENTS_PER_EXECUTION} events and rejects the rest with a reason`, () => {
    // Prepare
    const events = manyEvents(MAX_EVENTS_PER_EXECUTION + 5);

    // Act
    const result = mergeEvents(undefined, events);

    // Assess
    expect(result.execution?.events).toHaveLength(MAX_EVENTS_PER_EXECUTION);
    expect(result.rejected).toEqual(events.slice(MAX_EVENTS_PER_EXECUTION).map(tooMany));
  });

  it('rejects a new non-terminal event on a full execution without changing it, but not duplicates', () => {
    // Prepare
    const events = manyEvents(MAX_EVENTS_PER_EXECUTION);
    const full = executionOf(events);
    const extra = makeEvent({ status: 'started', attempt: 60, occurredAt: at(999_000) });

    // Act
    const result = mergeEvents(full, [events[0]!, extra, extra]);

    // Assess: each copy is rejected (each is a message that must be quarantined)
    expect(result.changed).toBe(false);
    expect(result.execution).toBe(full);
    expect(result.rejected).toEqual([tooMany(extra), tooMany(extra)]);
  });

  it('always admits a terminal event on a full execution, evicting the oldest replaceable event', () => {
    // Prepare: enqueued, then 99 starts of attempts 1..99: full.
    const enqueued = makeEvent({ status: 'enqueued', occurredAt: at(0) });
    const starts = Array.from({ length: MAX_EVENTS_PER_EXECUTION - 1 }, (_, i) =>
      makeEvent({ status: 'started', attempt: i + 1, occurredAt: at(1_000 + i * 1_000) }),
    );
    const full = executionOf([enqueued, ...starts]);
    const done = makeEvent({ status: 'succeeded', attempt: 99, occurredAt: at(200_000), durationMs: 5 });

    // Act
    const result = mergeEvents(full, [done]);

    // Assess: the run is closed; the enqueue and first start (wait time) and the final start are kept.
    expect(result.rejected).toEqual([]);
    expect(result.execution).toMatchObject({ status: 'succeeded', finishedAt: done.occurredAt, runMs: 5 });
    expect(result.execution?.events).toHaveLength(MAX_EVENTS_PER_EXECUTION);
    expect(result.execution?.evictedEvents).toBe(1);
    const kept = new Set(result.execution?.events.map((e) => e.eventId));
    expect(kept.has(enqueued.eventId)).toBe(true);
    expect(kept.has(starts[0]!.eventId)).toBe(true);
    expect(kept.has(starts[1]!.eventId)).toBe(false);
    expect(result.execution?.waitMs).toBe(full.waitMs);
  });

  it('admits terminal events even when the execution holds nothing but terminal events', () => {
    // Prepare: 100 failed events of attempts 1..100 (a producer loop), then the last attempt succeeds.
    const failures = Array.from({ length: MAX_EVENTS_PER_EXECUTION }, (_, i) =>
      makeEvent({ status: 'failed', attempt: i + 1, occurredAt: at(i * 1_000) }),
    );
    const full = executionOf(failures);
    const success = makeEvent({ status: 'succeeded', attempt: 101, occurredAt: at(500_000) });

    // Act
    const result = mergeEvents(full, [success]);

    // Assess
    expect(result.execution).toMatchObject({ status: 'succeeded', attempt: 101, evictedEvents: 1 });
    expect(result.execution?.events.some((e) => e.eventId === failures[0]!.eventId)).toBe(false);
  });
});

describe('mergeEvents: conflicts are rejected with a reason, never merged or dropped silently', () => {
  it('rejects an event whose eventId is already stored with different content', () => {
    // Prepare
    const started = makeEvent({ status: 'started' });
    const execution = executionOf([started]);
    const reused = { ...started, status: 'failed' as const };

    // Act
    const result = mergeEvents(execution, [reused, { ...started }]);

    // Assess: the identical copy is a harmless duplicate; the changed one is a conflict.
    expect(result.changed).toBe(false);
    expect(result.rejected).toEqual([
      {
        event: reused,
        rejection: { code: 'event-conflict', reason: expect.stringContaining(started.eventId) },
      },
    ]);
  });

  it('treats the same content written with another offset or key order as a duplicate', () => {
    const started = makeEvent({ status: 'started', params: { a: 1, b: 2 } });
    const execution = executionOf([started]);
    const same = { params: { b: 2, a: 1 }, ...started, occurredAt: withOffset(started.occurredAt, 2) };

    const result = mergeEvents(execution, [same]);

    expect(result).toEqual({ changed: false, execution, rejected: [] });
  });

  it('rejects the later copies of a reused eventId inside one batch, whatever the batch order', () => {
    const a = makeEvent({ eventId: 'e-1', status: 'started', occurredAt: at(0) });
    const b = { ...a, occurredAt: at(5_000) };

    const forward = mergeEvents(undefined, [a, b]);
    const backward = mergeEvents(undefined, [b, a]);

    expect(forward.execution).toEqual(backward.execution);
    expect(forward.rejected.map((r) => r.event)).toEqual([b]);
    expect(backward.rejected.map((r) => r.event)).toEqual([b]);
  });

  it('rejects an event that would switch an existing task to another task type', () => {
    // Prepare
    const execution = executionOf([makeEvent({ taskType: 'send_invoice', status: 'started' })]);
    const other = makeEvent({ taskType: 'resize_image', status: 'succeeded', occurredAt: at(1_000) });

    // Act
    const result = mergeEvents(execution, [other]);

    // Assess
    expect(result.changed).toBe(false);
    expect(result.execution?.taskType).toBe('send_invoice');
    expect(result.rejected).toEqual([
      {
        event: other,
        rejection: {
          code: 'task-type-conflict',
          reason: expect.stringMatching(/send_invoice.*resize_image|resize_image.*send_invoice/),
        },
      },
    ]);
  });

  it('keeps the task type of the earliest event when a new task arrives with two types', () => {
    const first = makeEvent({ taskType: 'b_type', status: 'enqueued', occurredAt: at(0) });
    const second = makeEvent({ taskType: 'a_type', status: 'started', occurredAt: at(1_000) });

    const result = mergeEvents(undefined, [second, first]);

    expect(result.execution?.taskType).toBe('b_type');
    expect(result.rejected.map((r) => [r.event, r.rejection.code])).toEqual([[second, 'task-type-conflict']]);
  });
});

describe('deriveExecution', () => {
  it('refuses an execution without events', () => {
    // Act / Assess
    expect(() => deriveExecution('task-x', [], { taskType: { value: 'send_invoice', from: 'x' } })).toThrow(
      RangeError,
    );
  });
});
