import { describe, expect, it } from 'vitest';
import {
  AGG_FIELD,
  type AggregateDelta,
  contributionOf,
  deltaOf,
  dirtyDaysOf,
  emptySummary,
  scopesOf,
  sumDeltas,
  summarizeAggregates,
} from '../../../lambdas/domain/aggregate';
import { type Execution, mergeEvents } from '../../../lambdas/domain/execution';
import { binOf, histogramOf } from '../../../lambdas/domain/histogram';
import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import { scopeOf } from '../../../lambdas/shared/names/keys';
import {
  BASE_TIME_MS,
  isoAt,
  makeEvent,
  makeLifecycle,
  makeRandomLifecycle,
  randomInt,
  seededRandom,
  shuffle,
} from '../../support/events';

const DIMENSIONS = ['marketplace'] as const;

const executionOf = (events: readonly TaskEvent[]): Execution => {
  const result = mergeEvents(undefined, events);
  if (!result.changed) throw new Error('expected the events to create an execution');
  return result.execution;
};

/**
 * An in-memory aggregate table with DynamoDB's semantics as the aggregator uses them: counters are
 * `ADD`ed, samples are set only if absent.
 */
class AggregateTable {
  readonly items = new Map<string, Record<string, number | string>>();

  apply(deltas: readonly AggregateDelta[]): void {
    for (const { target, counters, samples } of deltas) {
      const key = `${target.scope}|${target.day}|${target.slot}`;
      const item = this.items.get(key) ?? {};
      for (const [field, by] of Object.entries(counters)) item[field] = Number(item[field] ?? 0) + by;
      for (const [field, sample] of Object.entries(samples)) item[field] ??= sample;
      this.items.set(key, item);
    }
  }

  /** Counters per target, rounded (float sums telescope only up to rounding), zeros dropped. */
  counters(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const [key, item] of this.items) {
      const counters = Object.fromEntries(
        Object.entries(item)
          .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
          .map(([field, value]) => [field, Math.round(value * 1e6) / 1e6])
          .filter(([, value]) => value !== 0),
      );
      if (Object.keys(counters).length > 0) out[key] = counters;
    }
    return out;
  }

  itemsOfScope(scope: string): Record<string, unknown>[] {
    return [...this.items.entries()].filter(([key]) => key.startsWith(`${scope}|`)).map(([, item]) => item);
  }
}

/** Deliver events one message at a time and feed each execution change to the aggregates. */
const ingestInto = (table: AggregateTable, events: readonly TaskEvent[]): Map<string, Execution> => {
  const executions = new Map<string, Execution>();
  for (const event of events) {
    const before = executions.get(event.taskId);
    const result = mergeEvents(before, [event]);
    if (!result.changed) continue;
    table.apply(deltaOf(before, result.execution, DIMENSIONS));
    executions.set(event.taskId, result.execution);
  }
  return executions;
};

/** The aggregates of a set of final executions, each counted once. */
const tableOf = (executions: Iterable<Execution>): AggregateTable => {
  const table = new AggregateTable();
  for (const x of executions) table.apply(contributionOf(x, DIMENSIONS));
  return table;
};

const countersOf = (deltas: readonly AggregateDelta[]) =>
  Object.fromEntries(deltas.map((d) => [`${d.target.scope}|${d.target.day}|${d.target.slot}`, d.counters]));

describe('deltaOf folded over event arrival', () => {
  it('gives the contribution of the final execution, whatever the order and duplicates', () => {
    // Prepare
    const rand = seededRandom(42);
    for (let i = 0; i < 150; i++) {
      const events = makeRandomLifecycle(rand, `task-${i}`);
      const deliveries = shuffle(
        rand,
        events.flatMap((e) => Array.from({ length: randomInt(rand, 1, 3) }, () => e)),
      );

      // Act
      const folded = new AggregateTable();
      const final = ingestInto(folded, deliveries).get(`task-${i}`)!;

      // Assess
      expect(folded.counters()).toEqual(tableOf([final]).counters());
      for (const { target, samples } of contributionOf(final, DIMENSIONS)) {
        const item = folded.items.get(`${target.scope}|${target.day}|${target.slot}`);
        for (const field of Object.keys(samples)) expect(item).toHaveProperty(field);
      }
    }
  });

  it('gives the same summaries for many interleaved tasks delivered three times in random order', () => {
    // Prepare
    const rand = seededRandom(7);
    const lifecycles = Array.from({ length: 60 }, (_, i) => makeRandomLifecycle(rand, `task-${i}`));
    const inOrder = lifecycles.flat();
    const replayed = shuffle(rand, [...inOrder, ...inOrder, ...inOrder]);

    // Act
    const once = new AggregateTable();
    ingestInto(once, inOrder);
    const thrice = new AggregateTable();
    ingestInto(thrice, replayed);

    // Assess
    expect(thrice.counters()).toEqual(once.counters());
    for (const scope of [
      'send_invoice',
      'resize_image',
      scopeOf('sync_orders', { key: 'marketplace', value: 'DE' }),
    ]) {
      const a = summarizeAggregates(once.itemsOfScope(scope));
      const b = summarizeAggregates(thrice.itemsOfScope(scope));
      expect(b.finished).toBe(a.finished);
      expect(b.byStatus).toEqual(a.byStatus);
      expect(b.run.histogram).toEqual(a.run.histogram);
      expect(Object.keys(b.errors).sort()).toEqual(Object.keys(a.errors).sort());
    }
  });

  it('is empty when nothing changed and retracts everything when an execution goes away', () => {
    // Prepare
    const x = executionOf(makeLifecycle({ outcome: 'failed', dimensions: { marketplace: 'DE' } }));

    // Act
    const unchanged = deltaOf(x, x, DIMENSIONS);
    const removed = deltaOf(x, undefined, DIMENSIONS);

    // Assess
    expect(unchanged).toEqual([]);
    expect(countersOf(removed)).toEqual(
      Object.fromEntries(
        Object.entries(countersOf(contributionOf(x, DIMENSIONS))).map(([key, counters]) => [
          key,
          Object.fromEntries(Object.entries(counters).map(([f, v]) => [f, -v])),
        ]),
      ),
    );
  });
});

describe('contributionOf', () => {
  it('counts a finished execution in the bucket of its finish', () => {
    // Prepare: finishes at 10:00:05, started 10:00:01.5 after an enqueue at 10:00:00
    const x = executionOf(makeLifecycle({ runMs: 3_500, withDuration: false }));

    // Act
    const deltas = contributionOf(x, []);

    // Assess
    expect(deltas).toEqual([
      {
        target: { scope: 'send_invoice', day: '2026-03-02', slot: '10:00' },
        counters: {
          [AGG_FIELD.finished]: 1,
          [AGG_FIELD.statusCount('succeeded')]: 1,
          [AGG_FIELD.runCount]: 1,
          [AGG_FIELD.runSum]: 3_500,
          [AGG_FIELD.runBin(binOf(3_500))]: 1,
          [AGG_FIELD.waitCount]: 1,
          [AGG_FIELD.waitSum]: 1_500,
          [AGG_FIELD.waitBin(binOf(1_500))]: 1,
          [AGG_FIELD.started]: 1,
        },
        samples: {},
      },
    ]);
  });

  it('counts a running execution as open and a queued one as waiting, in the bucket of its creation', () => {
    // Prepare: enqueued at 09:58, started at 10:03 (another 5-minute bucket)
    const startMs = BASE_TIME_MS - 2 * 60_000;
    const running = executionOf(makeLifecycle({ startMs, waitMs: 5 * 60_000, outcome: 'running' }));
    const queued = executionOf([makeEvent({ status: 'enqueued' })]);

    // Act
    const deltas = contributionOf(running, []);

    // Assess
    expect(deltas).toEqual([
      {
        target: { scope: 'send_invoice', day: '2026-03-02', slot: '09:55' },
        counters: { open: 1 },
        samples: {},
      },
      {
        target: { scope: 'send_invoice', day: '2026-03-02', slot: '10:00' },
        counters: { st: 1 },
        samples: {},
      },
    ]);
    expect(contributionOf(queued, [])).toEqual([
      {
        target: { scope: 'send_invoice', day: '2026-03-02', slot: '10:00' },
        counters: { wq: 1 },
        samples: {},
      },
    ]);
    expect(contributionOf(undefined, [])).toEqual([]);
  });

  it('moves open to finished when the task ends, keeping started', () => {
    // Prepare
    const events = makeLifecycle({ enqueued: false });
    const running = executionOf(events.slice(0, 1));
    const finished = executionOf(events);

    // Act
    const delta = deltaOf(running, finished, []);

    // Assess
    expect(delta).toHaveLength(1);
    expect(delta[0]!.counters).toMatchObject({ open: -1, n: 1, c_succeeded: 1 });
    expect(delta[0]!.counters).not.toHaveProperty('st');
  });

  it('counts in the task-type scope and one scope per configured dimension present', () => {
    // Prepare
    const x = executionOf(makeLifecycle({ dimensions: { marketplace: 'DE', tenant: 'acme' } }));

    // Act
    const configured = scopesOf(x, ['marketplace', 'region']);
    const deltas = contributionOf(x, ['marketplace']);

    // Assess
    expect(configured).toEqual(['send_invoice', 'send_invoice|marketplace=DE']);
    expect(deltas.map((d) => d.target.scope)).toEqual(['send_invoice', 'send_invoice|marketplace=DE']);
    expect(deltas[1]!.counters).toEqual(deltas[0]!.counters);
  });

  it('moves counts between dimension scopes when the dimension value changes', () => {
    // Prepare
    const events = makeLifecycle({ dimensions: { marketplace: 'DE' } });
    const before = executionOf(events);
    const relabel = makeEvent({
      taskId: events[0]!.taskId,
      status: 'succeeded',
      occurredAt: isoAt(Date.parse(events[events.length - 1]!.occurredAt) + 1),
      durationMs: 2_000,
      dimensions: { marketplace: 'FR' },
    });
    const after = mergeEvents(before, [relabel]).execution!;

    // Act
    const delta = deltaOf(before, after, DIMENSIONS);

    // Assess: the task-type scope is unchanged, so it gets no delta
    expect(delta.map((d) => [d.target.scope, d.counters.n])).toEqual([
      ['send_invoice|marketplace=DE', -1],
      ['send_invoice|marketplace=FR', 1],
    ]);
  });

  it('counts failures per error type with a sample message, retries and custom metrics', () => {
    // Prepare
    const x = executionOf(
      makeLifecycle({
        attempts: 3,
        outcome: 'failed',
        error: { type: 'TimeoutError', message: 'm'.repeat(300) },
        metrics: { tokens: 1_200, confidence: 0.25 },
      }),
    );

    // Act
    const [delta] = contributionOf(x, []);

    // Assess
    expect(delta!.counters).toMatchObject({
      n: 1,
      c_failed: 1,
      retried: 1,
      e_TimeoutError: 1,
      mn_tokens: 1,
      ms_tokens: 1_200,
      [AGG_FIELD.metricBin('tokens', binOf(1_200))]: 1,
      mn_confidence: 1,
      ms_confidence: 0.25,
    });
    expect(delta!.samples).toEqual({ es_TimeoutError: 'm'.repeat(256) });
  });

  it('cuts a sample message without splitting a character DynamoDB must store as UTF-8', () => {
    // Prepare: an emoji (two UTF-16 units) straddles the 256-unit cut.
    const x = executionOf(
      makeLifecycle({
        outcome: 'failed',
        error: { type: 'TimeoutError', message: `${'m'.repeat(255)}👋 tail` },
      }),
    );

    // Act
    const [delta] = contributionOf(x, []);

    // Assess: no lone surrogate is left at the end.
    expect(delta!.samples).toEqual({ es_TimeoutError: 'm'.repeat(255) });
  });

  it('counts a failure without error details under Unknown', () => {
    // Prepare
    const x = executionOf([makeEvent({ status: 'failed' })]);

    // Act
    const [delta] = contributionOf(x, []);

    // Assess
    expect(delta!.counters.e_Unknown).toBe(1);
    expect(delta!.samples).toEqual({});
  });
});

describe('sumDeltas', () => {
  const target = { scope: 'send_invoice', day: '2026-03-02', slot: '10:00' };

  it('adds per target, drops counters that cancel and targets left empty', () => {
    // Prepare
    const other = { ...target, slot: '10:05' };

    // Act
    const sum = sumDeltas([
      { delta: { target, counters: { n: 1, open: 1 }, samples: {} }, sign: 1 },
      { delta: { target, counters: { open: 1 }, samples: {} }, sign: -1 },
      { delta: { target: other, counters: { st: 2 }, samples: {} }, sign: 1 },
      { delta: { target: other, counters: { st: 2 }, samples: {} }, sign: -1 },
    ]);

    // Assess
    expect(sum).toEqual([{ target, counters: { n: 1 }, samples: {} }]);
  });

  it('keeps samples only from added deltas and only beside their error counter', () => {
    // Act
    const sum = sumDeltas([
      { delta: { target, counters: { e_A: 1 }, samples: { es_A: 'old' } }, sign: -1 },
      { delta: { target, counters: { e_B: 1 }, samples: { es_B: 'new' } }, sign: 1 },
      { delta: { target, counters: { n: 1 }, samples: { es_C: 'orphan' } }, sign: 1 },
    ]);

    // Assess
    expect(sum).toEqual([{ target, counters: { e_A: -1, e_B: 1, n: 1 }, samples: { es_B: 'new' } }]);
  });
});

describe('summarizeAggregates', () => {
  it('merges items into totals, status counts, histograms, errors and metrics', () => {
    // Prepare: three failed and two succeeded executions across two buckets
    const executions = [
      ...Array.from({ length: 3 }, (_, i) =>
        makeLifecycle({
          outcome: 'failed',
          runMs: 1_000 * (i + 1),
          startMs: BASE_TIME_MS + i * 300_000,
          error: { type: i === 0 ? 'ValidationError' : 'TimeoutError', message: `boom ${i}` },
          metrics: { tokens_in: 100 * (i + 1) },
        }),
      ),
      ...Array.from({ length: 2 }, () => makeLifecycle({ attempts: 2, runMs: 4_000 })),
    ].map(executionOf);
    const table = tableOf(executions);

    // Act
    const summary = summarizeAggregates(table.itemsOfScope('send_invoice'));

    // Assess
    expect(table.itemsOfScope('send_invoice').length).toBeGreaterThan(1);
    expect(summary).toMatchObject({
      finished: 5,
      byStatus: { failed: 3, succeeded: 2 },
      retried: 2,
      open: 0,
      started: 5,
      run: { count: 5, sum: 14_000, histogram: histogramOf([1_000, 2_000, 3_000, 4_000, 4_000]) },
      wait: { count: 5, sum: 7_500, histogram: histogramOf([1_500, 1_500, 1_500, 1_500, 1_500]) },
      metrics: { tokens_in: { count: 3, sum: 600, histogram: histogramOf([100, 200, 300]) } },
    });
    expect(summary.errors).toEqual({
      ValidationError: { count: 1, sample: 'boom 0' },
      TimeoutError: { count: 2, sample: expect.stringMatching(/^boom [12]$/) },
    });
  });

  it('drops error types whose count was retracted to zero, and ignores key attributes', () => {
    // Prepare
    const items = [
      {
        pk: 'AG#send_invoice#2026-03-02',
        sk: '10:00',
        n: 2,
        c_succeeded: 2,
        e_TimeoutError: 0,
        es_TimeoutError: 'x',
      },
      { pk: 'AG#send_invoice#2026-03-02', sk: '10:05', open: 1, st: 1 },
    ];

    // Act
    const summary = summarizeAggregates(items);

    // Assess
    expect(summary).toEqual({
      ...emptySummary(),
      finished: 2,
      byStatus: { succeeded: 2 },
      open: 1,
      started: 1,
    });
  });

  it('reads numbers stored as strings (wrapped DynamoDB numbers)', () => {
    // Act
    const summary = summarizeAggregates([{ n: '3', rn: '3', rs: '4500.5' }]);

    // Assess
    expect([summary.finished, summary.run.count, summary.run.sum]).toEqual([3, 3, 4500.5]);
  });

  it('of no items is the empty summary', () => {
    expect(summarizeAggregates([])).toEqual(emptySummary());
  });

  it('keeps bucket times in UTC', () => {
    // Prepare: 23:58 UTC is the next day in +02:00
    const x = executionOf([
      makeEvent({ status: 'succeeded', occurredAt: isoAt(Date.parse('2026-03-02T23:58:00Z')) }),
    ]);

    // Act
    const [delta] = contributionOf(x, []);

    // Assess
    expect(delta!.target).toEqual({ scope: 'send_invoice', day: '2026-03-02', slot: '23:55' });
  });
});

describe('dirtyDaysOf', () => {
  const delta = (day: string) => ({
    target: { scope: 'a', day, slot: '10:00' },
    counters: { n: 1 },
    samples: {},
  });

  it('lists each ended day once, sorted, and leaves out the current day', () => {
    const nowMs = Date.parse('2026-03-04T00:30:00Z');
    expect(
      dirtyDaysOf(
        [delta('2026-03-04'), delta('2026-03-02'), delta('2026-03-03'), delta('2026-03-02')],
        nowMs,
      ),
    ).toEqual(['2026-03-02', '2026-03-03']);
  });

  it('marks nothing when every change is of today', () => {
    expect(dirtyDaysOf([delta('2026-03-04')], Date.parse('2026-03-04T23:59:59Z'))).toEqual([]);
  });
});
