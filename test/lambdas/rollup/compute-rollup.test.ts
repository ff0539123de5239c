import { describe, expect, it } from 'vitest';
import { contributionOf, summarizeAggregates } from '../../../lambdas/domain/aggregate';
import { mergeEvents } from '../../../lambdas/domain/execution';
import { computeRollup } from '../../../lambdas/domain/rollup';
import { rollupRangeOf } from '../../../lambdas/rollup/request';
import { makeLifecycle } from '../../support/events';

/** Summary of the aggregates a set of lifecycles makes (in memory). */
const summaryOf = (lifecycles: ReturnType<typeof makeLifecycle>[]) =>
  summarizeAggregates(
    lifecycles.flatMap((events) =>
      contributionOf(mergeEvents(undefined, events).execution, []).map((d) => ({
        ...d.counters,
        ...d.samples,
      })),
    ),
  );

describe('computeRollup', () => {
  it('reports counts, rates, retries, durations with their bound, top errors and metrics', () => {
    // Prepare
    const summary = summaryOf([
      makeLifecycle({ runMs: 1_000, metrics: { tokens: 100 } }),
      makeLifecycle({ runMs: 3_000, metrics: { tokens: 300 }, attempts: 2 }),
      makeLifecycle({ runMs: 2_000, outcome: 'failed' }),
      makeLifecycle({
        runMs: 2_000,
        outcome: 'failed',
        error: { type: 'ValidationError', message: 'bad amount' },
      }),
      makeLifecycle({ runMs: 2_000, outcome: 'failed', error: { type: 'ValidationError' } }),
      makeLifecycle({ outcome: 'cancelled' }),
      makeLifecycle({ outcome: 'running' }),
    ]);
    // Act
    const r = computeRollup(
      'send_invoice|marketplace=DE',
      '2026-03-02',
      summary,
      Date.parse('2026-03-03T00:30:00Z'),
    );
    // Assess
    expect(r).toMatchObject({
      schemaVersion: 1,
      taskType: 'send_invoice',
      dimension: { key: 'marketplace', value: 'DE' },
      total: 6,
      byStatus: { succeeded: 2, failed: 3, cancelled: 1 },
      successRate: 2 / 6,
      failureRate: 3 / 6,
      retried: 1,
      started: 7,
      open: 1,
      percentileRelativeError: 0.02,
      errorTypes: 2,
      computedAt: '2026-03-03T00:30:00.000Z',
    });
    expect(r.topErrors).toEqual([
      { type: 'ValidationError', count: 2, sample: 'bad amount' },
      { type: 'TimeoutError', count: 1, sample: 'upstream did not answer within 30 s' },
    ]);
    expect(r.run).toMatchObject({ count: 6, sumMs: 12_000, avgMs: 2_000 });
    expect(Math.abs(r.run!.maxMs - 3_000)).toBeLessThanOrEqual(60);
    expect(Math.abs(r.run!.p50Ms - 2_000)).toBeLessThanOrEqual(40);
    expect(r.metrics.tokens).toMatchObject({ count: 2, sum: 400, avg: 200 });
  });

  it('has no rates or durations for a day where nothing finished', () => {
    const r = computeRollup('x', '2026-03-02', summarizeAggregates([]), 0);
    expect(r).toMatchObject({
      total: 0,
      successRate: null,
      failureRate: null,
      run: null,
      wait: null,
      topErrors: [],
    });
  });
});

describe('rollupRangeOf', () => {
  const now = Date.parse('2026-03-03T00:30:00Z');

  it('reads scheduled events, backfills and single days', () => {
    expect(rollupRangeOf({ 'detail-type': 'Scheduled Event', time: '2026-03-03T00:30:00Z' }, now, 1)).toEqual(
      {
        from: '2026-03-02',
        to: '2026-03-02',
      },
    );
    expect(rollupRangeOf({}, now, 2)).toEqual({ from: '2026-03-01', to: '2026-03-02' });
    expect(rollupRangeOf({ from: '2026-01-01', to: '2026-01-31' }, now, 2)).toEqual({
      from: '2026-01-01',
      to: '2026-01-31',
    });
    expect(rollupRangeOf({ day: '2026-02-28' }, now, 2)).toEqual({ from: '2026-02-28', to: '2026-02-28' });
  });

  it('rejects malformed, reversed and too long ranges with a clear reason', () => {
    expect(() => rollupRangeOf({ from: '2026-02-30', to: '2026-03-01' }, now, 2)).toThrow(
      /not a calendar day/,
    );
    expect(() => rollupRangeOf({ from: '2026-03-02', to: '2026-03-01' }, now, 2)).toThrow(/after/);
    expect(() => rollupRangeOf({ from: '2025-01-01', to: '2025-12-31' }, now, 2)).toThrow(/split it/);
    expect(() => rollupRangeOf({ go: true }, now, 2)).toThrow(/expected a scheduled event/);
  });
});
