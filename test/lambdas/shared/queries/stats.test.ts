import { describe, expect, it } from 'vitest';
import type { Rollup } from '../../../../lambdas/domain/rollup';
import { summarizeRollups } from '../../../../lambdas/shared/queries/stats';

const rollup = (
  day: string,
  scope: string,
  counts: { s: number; f: number; c?: number },
  run?: { count: number; sumMs: number; p95Ms: number },
): Rollup => {
  const [taskType, dim] = scope.split('|');
  const total = counts.s + counts.f + (counts.c ?? 0);
  return {
    schemaVersion: 1,
    day,
    scope,
    taskType: taskType!,
    dimension: dim === undefined ? null : { key: dim.split('=')[0]!, value: dim.split('=')[1]! },
    total,
    byStatus: { succeeded: counts.s, failed: counts.f, cancelled: counts.c ?? 0 },
    successRate: total > 0 ? counts.s / total : null,
    failureRate: total > 0 ? counts.f / total : null,
    retried: 0,
    started: total,
    open: 0,
    wait: null,
    run:
      run === undefined
        ? null
        : {
            count: run.count,
            sumMs: run.sumMs,
            avgMs: run.sumMs / run.count,
            minMs: 1,
            maxMs: run.p95Ms,
            p50Ms: 1,
            p95Ms: run.p95Ms,
            p99Ms: run.p95Ms,
          },
    percentileRelativeError: 0.02,
    topErrors: [],
    errorTypes: 0,
    metrics: {},
    computedAt: `${day}T23:59:00.000Z`,
  };
};

describe('summarizeRollups', () => {
  const rollups = [
    rollup('2026-03-01', 'a', { s: 8, f: 2 }, { count: 10, sumMs: 10_000, p95Ms: 2_000 }),
    rollup('2026-03-02', 'a', { s: 9, f: 1 }, { count: 10, sumMs: 30_000, p95Ms: 5_000 }),
    rollup('2026-03-02', 'a|m=DE', { s: 4, f: 1 }),
    rollup('2026-03-02', 'b', { s: 0, f: 0 }),
  ];

  it('adds counts exactly, keeps the worst daily p95 and the exact mean', () => {
    const report = summarizeRollups(rollups, ['2026-02-28', '2026-03-01', '2026-03-02']);

    expect(report.daysWithoutRollups).toEqual(['2026-02-28']);
    expect(report.scopes.map((s) => s.scope)).toEqual(['a', 'b']);
    expect(report.scopes[0]).toMatchObject({
      total: 20,
      succeeded: 17,
      failed: 3,
      failureRate: 3 / 20,
      runCount: 20,
      runAvgMs: 2_000,
      runP95MsWorstDay: 5_000,
    });
    expect(report.scopes[0]!.daily.map((d) => d.day)).toEqual(['2026-03-01', '2026-03-02']);
    expect(report.scopes[1]).toMatchObject({
      total: 0,
      failureRate: null,
      runAvgMs: null,
      runP95MsWorstDay: null,
    });
  });

  it('filters by task type, or shows one dimension instead of task types', () => {
    const days = ['2026-03-01', '2026-03-02'];

    expect(summarizeRollups(rollups, days, { taskType: 'b' }).scopes.map((s) => s.scope)).toEqual(['b']);
    expect(summarizeRollups(rollups, days, { dimension: 'm' }).scopes.map((s) => s.scope)).toEqual([
      'a|m=DE',
    ]);
  });

  it('ignores rollups of other days', () => {
    expect(summarizeRollups(rollups, ['2026-03-01']).scopes.map((s) => s.total)).toEqual([10]);
  });
});
