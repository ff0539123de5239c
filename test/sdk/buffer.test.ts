import { describe, expect, it } from 'vitest';
import { DropOldestBuffer } from '../../sdk/src/buffer';

const entry = (id: number) => ({ id, bytes: 100 });
const limits = { maxEntries: 10, maxBytes: 1_000_000 };

describe('DropOldestBuffer', () => {
  it('drops the oldest entry to make room and returns it', () => {
    // Prepare
    const buffer = new DropOldestBuffer<ReturnType<typeof entry>>(3);
    for (const id of [1, 2, 3]) buffer.push(entry(id));

    // Act
    const dropped = buffer.push(entry(4));

    // Assess
    expect(dropped?.id).toBe(1);
    expect(buffer.length).toBe(3);
    expect(buffer.takeBatch(limits).map((e) => e.id)).toEqual([2, 3, 4]);
    expect(buffer.length).toBe(0);
  });

  it('hands out batches in order and knows when the first one is full', () => {
    const buffer = new DropOldestBuffer<ReturnType<typeof entry>>(100);
    for (let id = 0; id < 9; id++) buffer.push(entry(id));
    expect(buffer.hasFullBatch(limits)).toBe(false);

    buffer.push(entry(9));
    buffer.push(entry(10));

    expect(buffer.hasFullBatch(limits)).toBe(true);
    expect(buffer.takeBatch(limits).map((e) => e.id)).toEqual([...Array(10).keys()]);
    expect(buffer.peek()?.id).toBe(10);
  });

  it('stays correct across many pushes and takes (compaction)', () => {
    const buffer = new DropOldestBuffer<ReturnType<typeof entry>>(5_000);
    const seen: number[] = [];
    for (let id = 0; id < 20_000; id++) {
      buffer.push(entry(id));
      if (id % 7 === 0) seen.push(...buffer.takeBatch(limits).map((e) => e.id));
    }
    while (buffer.length > 0) seen.push(...buffer.takeBatch(limits).map((e) => e.id));

    expect(seen).toEqual([...Array(20_000).keys()]);
  });
});
