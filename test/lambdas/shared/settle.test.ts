import { describe, expect, it } from 'vitest';
import { allSettledOrThrow, forEachSettled } from '../../../lambdas/shared/settle';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
};

describe('forEachSettled', () => {
  it('starts nothing after a failure and rejects only when the running calls finished', async () => {
    // Prepare: item 0 fails at once, item 1 is running until released; items 2.. are waiting.
    const slow = gate();
    const started: number[] = [];
    const finished: number[] = [];
    let settled = false;
    // Act
    const run = forEachSettled([0, 1, 2, 3], 2, async (i) => {
      started.push(i);
      if (i === 0) throw new Error('first');
      if (i === 1) await slow.opened;
      finished.push(i);
    }).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const settledWhileRunning = settled;
    slow.open();
    // Assess
    await expect(run).rejects.toThrow('first');
    expect(settledWhileRunning).toBe(false);
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });

  it('runs every item when nothing fails', async () => {
    const seen: number[] = [];
    await forEachSettled([1, 2, 3, 4, 5], 2, async (i) => {
      seen.push(i);
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('allSettledOrThrow', () => {
  it('rejects with the first failure after every promise settled', async () => {
    const slow = gate();
    let slowDone = false;
    const run = allSettledOrThrow([
      Promise.reject(new Error('a')),
      slow.opened.then(() => {
        slowDone = true;
      }),
    ]);
    slow.open();
    await expect(run).rejects.toThrow('a');
    expect(slowDone).toBe(true);
  });
});
