import { describe, expect, it } from 'vitest';
import { cutBatches, LAMBDA_PAYLOAD_BYTES, SQS_RECORD_OVERHEAD_BYTES } from '../../bench/sqs-batches';
import { seededRandom } from '../../demo/lifecycle';

/** Messages 0..n-1 arriving every `gapMs` from t = 0, with bodies of `bytes`. */
const stream = (n: number, gapMs: number, bytes = 500) =>
  Array.from({ length: n }, (_, i) => ({ message: i, arrivalMs: i * gapMs, bodyBytes: bytes }));

describe('cutBatches (the SQS event source model of the bench)', () => {
  it('delivers every message once, in batches no larger than the batch size', () => {
    const batches = cutBatches(stream(1_000, 1), {
      batchSize: 100,
      windowMs: 20_000,
      random: seededRandom(1),
    });

    expect(batches.flatMap((b) => b.messages).sort((a, b) => a - b)).toEqual([...Array(1_000).keys()]);
    expect(Math.max(...batches.map((b) => b.messages.length))).toBe(100);
  });

  it('invokes a batch when its window runs out, even if it is not full', () => {
    // One poller, a message every second, a 3 s window: batches of 3 (t = 0, 1, 2), invoked at 3 s.
    const batches = cutBatches(stream(7, 1_000), {
      batchSize: 100,
      windowMs: 3_000,
      pollers: 1,
      random: () => 0,
    });

    expect(batches.map((b) => b.messages)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(batches.map((b) => b.invokedAtMs)).toEqual([3_000, 6_000, 9_000]);
  });

  it('closes a batch before its payload would exceed Lambda’s 6 MB', () => {
    const bytes = 100_000;
    const perBatch = Math.floor(LAMBDA_PAYLOAD_BYTES / (bytes + SQS_RECORD_OVERHEAD_BYTES));

    const batches = cutBatches(stream(200, 1, bytes), {
      batchSize: 10_000,
      windowMs: 60_000,
      pollers: 1,
      random: () => 0,
    });

    expect(batches[0]!.messages).toHaveLength(perBatch);
  });

  it('spreads messages over the pollers, so neighbours in time often land in different batches', () => {
    const batches = cutBatches(stream(1_000, 1), {
      batchSize: 10_000,
      windowMs: 60_000,
      pollers: 5,
      random: seededRandom(7),
    });

    expect(batches).toHaveLength(5);
    for (const b of batches) expect(b.messages.length).toBeGreaterThan(150);
  });
});
