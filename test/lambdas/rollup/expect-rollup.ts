import { expect } from 'vitest';
import { addExact, COUNTER_FRACTION_DIGITS } from '../../../lambdas/domain/aggregate';
import type { Rollup } from '../../../lambdas/domain/rollup';
import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import type { RollupStore } from '../../../lambdas/shared/store/rollup-store';
import { exactQuantile, type OracleRollup, oracleRollups, withinBound } from './oracle';

/** Compare a stored rollup with the oracle: counts exactly, percentiles within the stated bound. */
const expectMatchesOracle = (rollup: Rollup, oracle: OracleRollup) => {
  const bound = rollup.percentileRelativeError;
  expect(bound).toBe(0.02);
  expect({ total: rollup.total, byStatus: rollup.byStatus, retried: rollup.retried }).toEqual({
    total: oracle.total,
    byStatus: oracle.byStatus,
    retried: oracle.retried,
  });
  expect({ started: rollup.started, open: rollup.open }).toEqual({
    started: oracle.started,
    open: oracle.open,
  });
  expect(rollup.failureRate).toBe(oracle.total === 0 ? null : oracle.byStatus.failed! / oracle.total);
  for (const [name, values] of [
    ['run', oracle.run],
    ['wait', oracle.wait],
  ] as const) {
    const stats = rollup[name];
    if (values.length === 0) {
      expect(stats).toBeNull();
      continue;
    }
    expect(stats!.count).toBe(values.length);
    expect(stats!.sumMs).toBe(values.reduce((a, b) => a + b, 0));
    for (const [field, q] of [
      ['minMs', 0],
      ['p50Ms', 0.5],
      ['p95Ms', 0.95],
      ['p99Ms', 0.99],
      ['maxMs', 1],
    ] as const) {
      const exact = exactQuantile(values, q);
      expect(withinBound(stats![field], exact, bound), `${name}.${field} ${stats![field]} vs ${exact}`).toBe(
        true,
      );
    }
  }
  const errorCounts = Object.entries(oracle.errors).sort(([ta, a], [tb, b]) => b - a || (ta < tb ? -1 : 1));
  expect(rollup.errorTypes).toBe(errorCounts.length);
  expect(rollup.topErrors.map((e) => [e.type, e.count])).toEqual(errorCounts.slice(0, 5));
  expect(Object.keys(rollup.metrics).sort()).toEqual(Object.keys(oracle.metrics).sort());
  for (const [name, values] of Object.entries(oracle.metrics)) {
    const m = rollup.metrics[name]!;
    expect(m.count).toBe(values.length);
    // Sums are exact decimals of the values at COUNTER_FRACTION_DIGITS (so any batch split agrees).
    const quantized = values.reduce((a, b) => addExact(a, b), 0);
    expect(m.sum).toBeCloseTo(quantized, 9);
    expect(Math.abs(m.sum - values.reduce((a, b) => a + b, 0))).toBeLessThanOrEqual(
      values.length * 10 ** -COUNTER_FRACTION_DIGITS,
    );
    expect(withinBound(m.p95, exactQuantile(values, 0.95), bound)).toBe(true);
    expect(withinBound(m.min, exactQuantile(values, 0), bound)).toBe(true);
    expect(withinBound(m.max, exactQuantile(values, 1), bound)).toBe(true);
  }
};

/** Compare every stored rollup of the day with the oracle of `events`, scope by scope. */
export const expectDayMatches = async (
  store: RollupStore,
  day: string,
  dimensionKeys: readonly string[],
  events: readonly TaskEvent[],
) => {
  const oracle = oracleRollups(events, day, dimensionKeys);
  const stored = await store.listRollups(day);
  expect(stored.map((r) => r.scope)).toEqual(expect.arrayContaining([...oracle.keys()]));
  for (const rollup of stored) {
    const expected = oracle.get(rollup.scope);
    // A scope whose only execution moved to another dimension value keeps a rollup of zeros.
    if (expected === undefined) expect([rollup.total, rollup.started, rollup.open]).toEqual([0, 0, 0]);
    else expectMatchesOracle(rollup, expected);
  }
  return stored;
};
