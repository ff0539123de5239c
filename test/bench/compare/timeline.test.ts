import { describe, expect, it } from 'vitest';
import { batchCloseTimes, hottestKey, quantile, tumblingWindowEnd } from '../../../bench/compare/timeline';

describe('batchCloseTimes', () => {
  it('closes a batch when it is full, at its last arrival', () => {
    const { closeMs, batches, batchOf } = batchCloseTimes([0, 10, 20, 30, 40], 2, 1_000);

    expect(batches).toBe(3);
    expect(batchOf).toEqual([0, 0, 1, 1, 2]);
    expect(closeMs.slice(0, 4)).toEqual([10, 10, 30, 30]);
  });

  it('closes a batch that does not fill when the window after its first arrival ends', () => {
    const { closeMs, batches } = batchCloseTimes([0, 500, 2_500], 100, 2_000);

    expect(batches).toBe(2);
    expect(closeMs).toEqual([2_000, 2_000, 4_500]);
  });
});

describe('tumblingWindowEnd', () => {
  it('rounds up to the end of the aligned window, and leaves the instant without a window', () => {
    expect(tumblingWindowEnd(61_000, 60_000)).toBe(120_000);
    expect(tumblingWindowEnd(60_000, 60_000)).toBe(120_000);
    expect(tumblingWindowEnd(61_000, 0)).toBe(61_000);
  });
});

describe('quantile', () => {
  it('takes the nearest rank and 0 for nothing', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([5, 1, 4, 2, 3], 0.95)).toBe(5);
    expect(quantile([], 0.5)).toBe(0);
  });
});

describe('hottestKey', () => {
  it('finds the key with the most write units within one second', () => {
    const hot = hottestKey([
      { partitionKey: 'A', units: 1, atMs: 100 },
      { partitionKey: 'A', units: 1, atMs: 900 },
      { partitionKey: 'A', units: 1, atMs: 1_100 },
      { partitionKey: 'B', units: 2, atMs: 5_000 },
      { partitionKey: 'B', units: 1, atMs: 5_999 },
    ]);

    expect(hot).toEqual({ partitionKey: 'B', unitsPerSecond: 3 });
  });
});
