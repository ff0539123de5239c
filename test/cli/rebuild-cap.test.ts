import { describe, expect, it } from 'vitest';
import { correctionOf } from '../../cli/ops/rebuild';
import { MAX_ERROR_TYPES_PER_BUCKET, OTHER_NAME } from '../../lambdas/domain/aggregate';

/** `rebuild` compares and corrects a capped bucket the way the aggregator laid it out. */

const target = { scope: 'wide_task', day: '2026-03-02', slot: '10:00' };
const NAMES = 80;

/** What an exact recomputation gives: 80 error types, one failure each. */
const recomputed = {
  target,
  counters: Object.fromEntries(
    Array.from({ length: NAMES }, (_, i) => [`e_T${String(i).padStart(2, '0')}`, 1]),
  ),
  samples: {},
};

/** What the aggregator stored: the first 50 types named, 30 in the other entry, its names counter. */
const stored = (other: number): Record<string, unknown> => ({
  ...Object.fromEntries(
    Array.from({ length: MAX_ERROR_TYPES_PER_BUCKET }, (_, i) => [`e_T${String(i).padStart(2, '0')}`, 1]),
  ),
  [`e_${OTHER_NAME}`]: other,
  ne: MAX_ERROR_TYPES_PER_BUCKET,
});

describe('correctionOf on a bucket at its name cap', () => {
  it('finds nothing to change when every count is in its name or in the other entry', () => {
    expect(correctionOf(target, stored(NAMES - MAX_ERROR_TYPES_PER_BUCKET), recomputed)).toBeUndefined();
  });

  it('corrects lost counts of names without an entry in the other entry, never adding names', () => {
    const c = correctionOf(target, stored(10), recomputed);
    expect(c?.delta.counters).toEqual({ [`e_${OTHER_NAME}`]: 20 });
  });
});
