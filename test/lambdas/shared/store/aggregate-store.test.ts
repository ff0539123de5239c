import { describe, expect, it } from 'vitest';
import { MAX_EXPRESSION_BYTES, planPartUpdates } from '../../../../lambdas/shared/store/aggregate-store';
import { longErrorTypes } from '../../../support/names';

const target = { scope: 'send_invoice', day: '2026-03-02', slot: '10:00' };

describe('planPartUpdates', () => {
  it('keeps a small part in one update marked with the intent', () => {
    const updates = planPartUpdates(
      '0001',
      target,
      { part: '', counters: { n: 1, c_failed: 1 }, samples: {} },
      0,
    );
    expect(updates).toHaveLength(1);
    expect(updates[0]!.marker).toBe('0001');
    expect(updates[0]!.fields).toEqual(['n', 'c_failed']);
  });

  it('splits a part with many producer-chosen names so no expression exceeds 4 KB', () => {
    // Prepare: 600 error types of 128 characters, each with a count and a sample.
    const { counters, samples } = longErrorTypes(600);
    // Act
    const updates = planPartUpdates('0001', target, { part: 'err.1', counters, samples }, 0);
    // Assess: several updates, each under the limit, every field in exactly one, distinct markers.
    expect(updates.length).toBeGreaterThan(1);
    for (const u of updates)
      expect(Buffer.byteLength(u.updateExpression)).toBeLessThanOrEqual(MAX_EXPRESSION_BYTES);
    const fields = updates.flatMap((u) => u.fields);
    expect(fields.sort()).toEqual([...Object.keys(counters), ...Object.keys(samples)].sort());
    expect(new Set(updates.map((u) => u.marker)).size).toBe(updates.length);
  });

  it('splits the same part the same way on a retry', () => {
    const counters = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`mh_metric_${i}_p${i}`, i]));
    const part = { part: 'm.metric.p0', counters, samples: {} };
    expect(planPartUpdates('0002', target, part, 0)).toEqual(planPartUpdates('0002', target, part, 0));
  });
});
