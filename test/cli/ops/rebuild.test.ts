import { describe, expect, it } from 'vitest';
import { correctionOf, longestSpanMs, type RebuildDeps, rebuild } from '../../../cli/ops/rebuild';
import { type AggregateDelta, contributionOf } from '../../../lambdas/domain/aggregate';
import { type Execution, mergeEvents } from '../../../lambdas/domain/execution';
import { type LifecycleOptions, makeLifecycle } from '../../support/events';

/**
 * The rebuild's decisions without AWS: corrections are differences, and updates the live aggregator
 * makes while a rebuild runs are kept (an in-memory store that adds, as DynamoDB's ADD does).
 */

const DAY = '2026-03-02';
const executionOf = (options: LifecycleOptions): Execution =>
  mergeEvents(undefined, makeLifecycle(options)).execution!;

/** Aggregates in memory: bucket key → counters; `applyDelta` adds like the aggregator's store. */
const memoryDeps = (executions: Execution[], onHistoryRead: () => void = () => {}) => {
  const buckets = new Map<string, Record<string, number>>();
  const add = (d: AggregateDelta) => {
    const k = `${d.target.scope}|${d.target.day}|${d.target.slot}`;
    const b = buckets.get(k) ?? {};
    for (const [f, v] of Object.entries(d.counters)) b[f] = (b[f] ?? 0) + v;
    buckets.set(k, b);
  };
  const deps: RebuildDeps = {
    listScopes: async () => ['send_invoice'],
    readBuckets: async (scope, day) =>
      new Map(
        [...buckets.entries()]
          .filter(([k]) => k.startsWith(`${scope}|${day}|`))
          .map(([k, v]) => [k.split('|')[2]!, { ...v }]),
      ),
    readExecutions: async (_type, day) => {
      const found = executions.filter((x) => x.createdAt.startsWith(day));
      if (day === DAY) onHistoryRead();
      return found;
    },
    store: {
      applyDelta: async (_i, d) => add(d),
      clearMarker: async () => {},
      registerScopes: async () => {},
    },
  };
  const nonZero = () =>
    Object.fromEntries(
      [...buckets.entries()].map(([k, v]) => [
        k,
        Object.fromEntries(Object.entries(v).filter(([, n]) => n !== 0)),
      ]),
    );
  return { deps, add, nonZero };
};

const exact = (executions: Execution[]) => {
  const m = memoryDeps([]);
  for (const x of executions) for (const d of contributionOf(x, [])) m.add(d);
  return m.nonZero();
};

describe('correctionOf', () => {
  const target = { scope: 'send_invoice', day: DAY, slot: '10:00' };

  it('is the difference per counter, with absent counting as zero, and nothing when they agree', () => {
    const recomputed = { target, counters: { n: 2, c_succeeded: 2, rs: 4000.5 }, samples: {} };

    expect(correctionOf(target, { n: 5, c_succeeded: 2, c_failed: 3, rs: 1000 }, recomputed)).toEqual({
      delta: { target, counters: { c_failed: -3, n: -3, rs: 3000.5 }, samples: {} },
      change: {
        ...target,
        fields: {
          c_failed: { before: 3, after: 0 },
          n: { before: 5, after: 2 },
          rs: { before: 1000, after: 4000.5 },
        },
      },
    });
    expect(correctionOf(target, { n: 2, c_succeeded: 2, rs: 4000.5, open: 0 }, recomputed)).toBeUndefined();
  });

  it('adds an error sample the stored bucket lacks, and keeps one it has', () => {
    const recomputed = { target, counters: { e_Timeout: 1 }, samples: { es_Timeout: 'slow' } };

    expect(correctionOf(target, { e_Timeout: 1 }, recomputed)?.delta.samples).toEqual({ es_Timeout: 'slow' });
    expect(correctionOf(target, { e_Timeout: 1, es_Timeout: 'other' }, recomputed)).toBeUndefined();
  });
});

describe('longestSpanMs', () => {
  it('is the longest time from creation to the last start or finish', () => {
    const short = executionOf({ startMs: Date.parse(`${DAY}T10:00:00Z`), waitMs: 1_000, runMs: 2_000 });
    const open = executionOf({ startMs: Date.parse(`${DAY}T10:00:00Z`), waitMs: 60_000, outcome: 'running' });

    expect(longestSpanMs([short, open])).toBe(60_000);
    expect(longestSpanMs([])).toBe(0);
  });
});

describe('rebuild', () => {
  const at = (hh: string) => Date.parse(`${DAY}T${hh}:00Z`);
  const history = [
    executionOf({ taskId: 'a', startMs: at('10:00') }),
    executionOf({ taskId: 'b', startMs: at('10:20'), outcome: 'failed' }),
  ];

  it('restores lost and wrong buckets to the sum of the executions', async () => {
    const m = memoryDeps(history);
    m.add({ target: { scope: 'send_invoice', day: DAY, slot: '10:20' }, counters: { n: 7 }, samples: {} });

    const result = await rebuild(m.deps, { from: DAY, to: DAY, lookbackDays: 0, write: true });

    expect(m.nonZero()).toEqual(exact(history));
    expect(result.changes.map((c) => c.slot)).toEqual(['10:00', '10:20']);
  });

  it('keeps an update the aggregator applies while the rebuild runs (a Put of the recomputed bucket would lose it)', async () => {
    const late = executionOf({ taskId: 'c', startMs: at('10:20') });
    // c is stored just after the rebuild read the history (so it is not in the recomputed buckets),
    // and the aggregator applies it after the rebuild read the buckets, before the rebuild writes.
    const m = memoryDeps(history, () => {
      for (const d of contributionOf(late, [])) m.add(d);
    });

    await rebuild(m.deps, { from: DAY, to: DAY, lookbackDays: 0, write: true });

    expect(m.nonZero()).toEqual(exact([...history, late]));
  });

  it('writes nothing in a dry run', async () => {
    const m = memoryDeps(history);

    const result = await rebuild(m.deps, { from: DAY, to: DAY, lookbackDays: 0, write: false });

    expect(result.changes).toHaveLength(2);
    expect(result.written).toBe(0);
    expect(m.nonZero()).toEqual({});
  });
});
