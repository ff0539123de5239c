import { describe, expect, it } from 'vitest';
import { type Execution, mergeEvents } from '../../../../lambdas/domain/execution';
import type { TaskEvent } from '../../../../lambdas/shared/contract/event';
import {
  ATTR,
  byStatusPartition,
  byTypePartition,
  EXECUTION_PK_PREFIX,
  shardOf,
} from '../../../../lambdas/shared/names/keys';
import {
  fromExecutionItem,
  indexKeysOf,
  toExecutionItem,
} from '../../../../lambdas/shared/store/execution-item';
import { makeLifecycle, makeRandomLifecycle, seededRandom } from '../../../support/events';

const TTL_DAYS = 30;

const executionOf = (events: readonly TaskEvent[]): Execution => {
  const result = mergeEvents(undefined, events);
  if (!result.changed) throw new Error('expected the events to create an execution');
  return result.execution;
};

/** What the document client would store and return: a JSON round trip drops nothing we keep. */
const throughJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('toExecutionItem / fromExecutionItem', () => {
  it('round-trips a retried, failed execution with every optional field', () => {
    // Prepare
    const execution = executionOf(
      makeLifecycle({
        taskId: 'task-roundtrip',
        attempts: 2,
        outcome: 'failed',
        error: { type: 'TimeoutError', message: 'slow', stack: 'TimeoutError\n  at call' },
        params: { invoiceId: 42, lines: [1, 2, 3] },
        dimensions: { marketplace: 'DE' },
        metrics: { tokens: 1_200, confidence: 0.93 },
      }).map((e, i) => ({ ...e, jobId: 'job-7', ...(i === 0 && { parentTaskId: 'task-parent' }) })),
    );

    // Act
    const item = throughJson(toExecutionItem(execution, 3, TTL_DAYS));
    const back = fromExecutionItem(item);

    // Assess
    expect(back).toEqual({ execution, version: 3 });
  });

  it('round-trips random lifecycles, and merging after the round trip behaves as before it', () => {
    // Prepare
    const rand = seededRandom(99);
    for (let i = 0; i < 100; i++) {
      const events = makeRandomLifecycle(rand, `task-${i}`);
      const head = executionOf(events.slice(0, -1).length > 0 ? events.slice(0, -1) : events);

      // Act
      const { execution: restored } = fromExecutionItem(throughJson(toExecutionItem(head, 1, TTL_DAYS)));

      // Assess
      expect(restored).toEqual(head);
      expect(mergeEvents(restored, events)).toEqual(mergeEvents(head, events));
    }
  });

  it('keys the item by taskId, stores the version and expires it ttlDays after creation', () => {
    // Prepare
    const execution = executionOf(makeLifecycle({ taskId: 'task-keys' }));

    // Act
    const item = toExecutionItem(execution, 7, TTL_DAYS);

    // Assess
    expect(item).toMatchObject({
      pk: `${EXECUTION_PK_PREFIX}task-keys`,
      sk: 'EX',
      v: 7,
      expiresAt: Date.parse(execution.createdAt) / 1000 + TTL_DAYS * 86_400,
    });
  });

  it('names the events that kept params and error came from by position, not by order key', () => {
    // Prepare: params from the first event, the error from the final failure
    const events = makeLifecycle({ attempts: 2, outcome: 'failed', params: { invoiceId: 1 } });
    const execution = executionOf(events);
    const plain = executionOf(makeLifecycle());

    // Act
    const item = toExecutionItem(execution, 1, TTL_DAYS);

    // Assess
    expect(item.kf).toEqual({ params: 0, error: events.length - 1 });
    expect(toExecutionItem(plain, 1, TTL_DAYS)).not.toHaveProperty('kf');
  });

  it('refuses an item whose kept value names an event it does not have', () => {
    // Prepare
    const execution = executionOf(makeLifecycle({ params: { invoiceId: 1 } }));
    const item = { ...toExecutionItem(execution, 1, TTL_DAYS), kf: { params: 'no-such-event' } };

    // Act / Assess
    expect(() => fromExecutionItem(item)).toThrow(/unknown event no-such-event/);
    expect(() => fromExecutionItem({ ...item, kf: { params: 9 } })).toThrow(/unknown event 9/);
  });

  it('reads items in the older format (view stored beside the events, full statuses, kf by eventId)', () => {
    // Prepare: what the ingest wrote before decision 0023, for a failed run with params and a dimension
    const events = makeLifecycle({
      outcome: 'failed',
      params: { invoiceId: 1 },
      dimensions: { marketplace: 'DE' },
    });
    const execution = executionOf(events);
    const { kf: _kf, src: _src, dm: _dm, ...current } = toExecutionItem(execution, 2, TTL_DAYS);
    const older = {
      ...current,
      taskId: execution.taskId,
      status: execution.status,
      createdAt: execution.createdAt,
      source: execution.source,
      dimensions: execution.dimensions,
      events: execution.events.map((e) => ({
        i: e.eventId,
        h: e.hash,
        s: e.status,
        t: Date.parse(e.occurredAt),
        a: e.attempt,
        src: e.source,
        ...(e.durationMs !== undefined && { d: e.durationMs }),
        ...(e.errorType !== undefined && { et: e.errorType, em: e.errorMessage }),
        dm: e.dimensions,
      })),
      kf: { params: events[0]!.eventId, error: events[events.length - 1]!.eventId },
    };

    // Act
    const back = fromExecutionItem(throughJson(older));

    // Assess
    expect(back).toEqual({ execution, version: 2 });
  });

  it('stores events with short attribute names', () => {
    // Prepare
    const execution = executionOf(makeLifecycle({ outcome: 'failed', withDuration: true }));

    // Act
    const item = toExecutionItem(execution, 1, TTL_DAYS);

    // Assess
    const events = item.events as Record<string, unknown>[];
    expect(Object.keys(events[2]!).sort()).toEqual(['a', 'd', 'em', 'et', 'h', 'i', 's', 't']);
    expect(events[2]!.s).toBe('f');
    expect(item.src).toBe(execution.source);
  });

  it('keeps a source or dimensions on each event when the events do not share them', () => {
    // Prepare: the retry ran on another worker in another marketplace
    const events = makeLifecycle({ attempts: 2, dimensions: { marketplace: 'DE' } }).map((e) =>
      e.attempt === 2 ? { ...e, source: 'other-worker', dimensions: { marketplace: 'FR' } } : e,
    );
    const execution = executionOf(events);

    // Act
    const item = toExecutionItem(execution, 1, TTL_DAYS);

    // Assess
    expect(item).not.toHaveProperty('src');
    expect(item).not.toHaveProperty('dm');
    expect(fromExecutionItem(throughJson(item)).execution).toEqual(execution);
  });
});

describe('indexKeysOf', () => {
  it('puts every execution in the byType index by creation day, sharded by taskId', () => {
    // Prepare
    const execution = executionOf(makeLifecycle({ taskId: 'task-idx', outcome: 'running' }));

    // Act
    const keys = indexKeysOf(execution);

    // Assess
    expect(keys).toEqual({
      gsi1pk: byTypePartition('send_invoice', '2026-03-02', shardOf('task-idx')),
      gsi1sk: `${execution.createdAt}#task-idx`,
    });
  });

  it.each(['failed', 'cancelled'] as const)(
    'indexes a %s execution by status, type and finish time',
    (outcome) => {
      // Prepare
      const execution = executionOf(makeLifecycle({ taskId: 'task-st', outcome }));

      // Act
      const keys = indexKeysOf(execution);

      // Assess
      expect(keys.gsi2pk).toBe(
        byStatusPartition(outcome, execution.taskType, '2026-03-02', shardOf('task-st')),
      );
      expect(keys.gsi2pk).toContain(execution.taskType);
      expect(keys.gsi2sk).toBe(`${execution.finishedAt}#task-st`);
    },
  );

  it.each([
    ['succeeded', makeLifecycle({ outcome: 'succeeded' })],
    ['running', makeLifecycle({ outcome: 'running' })],
    ['retrying', makeLifecycle({ attempts: 2, outcome: 'running' }).slice(0, 3)],
  ])('does not index a %s execution by status', (_, events) => {
    // Act
    const keys = indexKeysOf(executionOf(events));

    // Assess
    expect(keys).not.toHaveProperty('gsi2pk');
    expect(keys).not.toHaveProperty('gsi2sk');
  });

  it('the item carries the index keys', () => {
    // Prepare
    const execution = executionOf(makeLifecycle({ outcome: 'failed' }));

    // Act
    const item = toExecutionItem(execution, 1, TTL_DAYS);

    // Assess
    expect(item).toMatchObject(indexKeysOf(execution));
  });
});

/**
 * DynamoDB's documented item-size rules, approximately: attribute names and strings in UTF-8 bytes,
 * numbers one byte per two significant digits plus one, maps and lists 3 bytes plus 1 per element.
 */
const dynamoSize = (value: unknown): number => {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number')
    return Math.ceil(String(Math.abs(value)).replace('.', '').replace(/^0+/, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + dynamoSize(v), 0);
  return (
    3 +
    Object.entries(value as object).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + dynamoSize(v), 0)
  );
};
const itemSize = (item: Record<string, unknown>): number =>
  Object.entries(item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + dynamoSize(v), 0);

describe('item size (one write unit is 1 KB)', () => {
  const taskId = 'a3f1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b';

  it('a typical 3-event execution stays under 1 KB by its JSON length (an over-approximation)', () => {
    // Prepare: enqueued → started → succeeded with uuid ids
    const execution = executionOf(makeLifecycle({ taskId }));

    // Act
    const bytes = Buffer.byteLength(JSON.stringify(toExecutionItem(execution, 3, TTL_DAYS)));

    // Assess
    expect(execution.events).toHaveLength(3);
    expect(bytes).toBeLessThan(1024);
  });

  it('with a dimension, small params and a metric it stays under 1 KB by the item-size rules (approximated)', () => {
    // Prepare
    const execution = executionOf(
      makeLifecycle({
        taskId,
        params: { invoiceId: 'INV-2026-000123', customerId: 'C-4711' },
        dimensions: { marketplace: 'DE' },
        metrics: { tokens: 1_234 },
      }),
    );
    const item = toExecutionItem(execution, 3, TTL_DAYS);

    // Act
    const bytes = itemSize(item);

    // Assess: JSON counts quotes, colons and braces, so it is the larger of the two
    expect(bytes).toBeLessThan(1024);
    expect(bytes).toBeLessThan(Buffer.byteLength(JSON.stringify(item)));
  });

  it('a retried, failed run with a dimension, params and metrics (5 events) stays under 1 KB: derived fields are not stored', () => {
    // Prepare: the bench's richest common shape, two attempts, every optional field of the stream
    const execution = executionOf(
      makeLifecycle({
        taskId,
        attempts: 2,
        outcome: 'failed',
        params: { orderId: 4711, priority: 'normal' },
        dimensions: { marketplace: 'DE' },
        metrics: { tokens: 1_234, confidence: 0.731_942_18 },
      }),
    );
    const item = toExecutionItem(execution, 3, TTL_DAYS);

    // Act
    const bytes = itemSize(item);

    // Assess: one write unit, and the view still comes back whole from the events
    expect(execution.events).toHaveLength(5);
    expect(bytes).toBeLessThan(1024);
    expect(item).not.toHaveProperty('status');
    expect(fromExecutionItem(throughJson(item)).execution).toEqual(execution);
  });
});

describe('the byJob index keys', () => {
  it('are written only for executions of a job (sparse), as the index key attributes', () => {
    const inJob = executionOf(makeLifecycle({ taskId: 'j-1' }).map((e) => ({ ...e, jobId: 'job-9' })));
    const alone = executionOf(makeLifecycle({ taskId: 'j-2' }));

    const item = toExecutionItem(inJob, 1, TTL_DAYS);

    expect(item[ATTR.jobId]).toBe('job-9');
    expect(item[ATTR.pk]).toBe('EX#j-1');
    expect(ATTR.jobId in toExecutionItem(alone, 1, TTL_DAYS)).toBe(false);
  });
});
