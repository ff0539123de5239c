import { describe, expect, it } from 'vitest';
import { isBatchFull, nextBatchSize, planBatches, SQS_BATCH_LIMITS } from '../../sdk/src/batching';
import { SQS_LIMITS } from '../../sdk/src/sqs-limits';

const entries = (...sizes: number[]) => sizes.map((bytes, index) => ({ bytes, index }));
const small = (count: number) => entries(...Array.from({ length: count }, () => 300));

describe('planBatches', () => {
  it('fills requests up to 10 entries, in order', () => {
    // Act
    const plan = planBatches(small(25));

    // Assess
    expect(plan.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(plan.flat().map((e) => e.index)).toEqual([...Array(25).keys()]);
  });

  it('starts a new request before the total payload would pass the byte limit', () => {
    // Prepare: 400 KB entries, so only two fit in 1 MiB
    const plan = planBatches(entries(400_000, 400_000, 400_000, 100, 400_000));

    // Assess
    expect(plan.map((b) => b.map((e) => e.index))).toEqual([
      [0, 1],
      [2, 3, 4],
    ]);
    for (const batch of plan) {
      expect(batch.reduce((sum, e) => sum + e.bytes, 0)).toBeLessThanOrEqual(SQS_LIMITS.maxBatchPayloadBytes);
    }
  });

  it('sends an entry larger than the limit alone rather than looping forever', () => {
    const plan = planBatches(entries(10, 2_000_000, 10), { maxEntries: 10, maxBytes: 1_000 });

    expect(plan.map((b) => b.map((e) => e.index))).toEqual([[0], [1], [2]]);
  });

  it('honours a smaller maxEntries and returns no batch for no entries', () => {
    expect(planBatches(small(7), { maxEntries: 3, maxBytes: 1_000_000 }).map((b) => b.length)).toEqual([
      3, 3, 1,
    ]);
    expect(planBatches([])).toEqual([]);
  });

  it('uses the SQS limits by default', () => {
    expect(SQS_BATCH_LIMITS).toEqual({ maxEntries: 10, maxBytes: 1_048_576 });
  });
});

describe('nextBatchSize', () => {
  it('counts from an offset', () => {
    expect(nextBatchSize(small(15), SQS_BATCH_LIMITS, 10)).toBe(5);
    expect(nextBatchSize(small(15), SQS_BATCH_LIMITS, 15)).toBe(0);
  });
});

describe('isBatchFull', () => {
  it('is full at maxEntries or when the next entry would not fit, not before', () => {
    expect(isBatchFull(small(9))).toBe(false);
    expect(isBatchFull(small(10))).toBe(true);
    expect(isBatchFull(entries(600_000, 600_000))).toBe(true);
    expect(isBatchFull(entries(600_000))).toBe(false);
    expect(isBatchFull(small(12), SQS_BATCH_LIMITS, 3)).toBe(false);
  });
});
