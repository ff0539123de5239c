import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../sdk/src/backoff';

const almostOne = () => 0.999_999;

describe('backoffDelayMs', () => {
  it('doubles the ceiling per retry from the base', () => {
    expect([1, 2, 3, 4].map((retry) => backoffDelayMs(retry, 50, 10_000, almostOne))).toEqual([
      49, 99, 199, 399,
    ]);
  });

  it('never exceeds the cap, even for huge retry numbers', () => {
    expect(backoffDelayMs(8, 50, 2_000, almostOne)).toBe(1_999);
    expect(backoffDelayMs(10_000, 50, 2_000, almostOne)).toBe(1_999);
  });

  it('draws uniformly from zero (full jitter)', () => {
    expect(backoffDelayMs(5, 50, 2_000, () => 0)).toBe(0);
    expect(backoffDelayMs(5, 50, 2_000, () => 0.5)).toBe(400);
  });

  it('stays within [0, ceiling) with the real random source', () => {
    for (let i = 0; i < 1_000; i++) {
      const delay = backoffDelayMs(3, 50, 2_000);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(200);
    }
  });
});
