import { QueueDoesNotExist, RequestThrottled } from '@aws-sdk/client-sqs';
import { describe, expect, it, vi } from 'vitest';
import { SqsEntryError } from '../../sdk/src/errors';
import type { OutgoingMessage } from '../../sdk/src/events';
import {
  type DropReport,
  type ResolvedOptions,
  resolveOptions,
  type TaskpulseOptions,
} from '../../sdk/src/options';
import { BatchSender } from '../../sdk/src/sender';
import { batchOutput, FakeSqs, gate, type Respond } from './fake-sqs';

const message = (n: number): OutgoingMessage => {
  const body = JSON.stringify({ n });
  return { eventId: `e-${n}`, body, bytes: body.length };
};

/** A sender over a fake SQS, with instant recorded backoff sleeps and a fixed jitter of 0.5. */
const setup = (options: TaskpulseOptions = {}, respond?: Respond) => {
  const sqs = new FakeSqs(respond);
  const drops: DropReport[] = [];
  const sleeps: number[] = [];
  const resolved: ResolvedOptions = resolveOptions(
    { queueUrl: 'q', source: 's', flushIntervalMs: 60_000, ...options },
    {},
  );
  const sender = new BatchSender({
    sqs,
    options: resolved,
    onDrop: (report) => drops.push(report),
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { sqs, sender, drops, sleeps };
};

const enqueueRange = (sender: BatchSender, from: number, to: number) => {
  for (let n = from; n < to; n++) sender.enqueue(message(n));
};

describe('BatchSender batching', () => {
  it('sends a full batch at once and holds a partial one until flush', async () => {
    // Prepare
    const { sqs, sender } = setup();

    // Act
    enqueueRange(sender, 0, 15);

    // Assess
    expect(sqs.requests.map((r) => r.length)).toEqual([10]);
    expect(sender.stats.buffered).toBe(5);
    await sender.flush();
    expect(sqs.requests.map((r) => r.length)).toEqual([10, 5]);
    expect(sender.stats).toMatchObject({ sent: 15, requests: 2, dropped: 0, retried: 0, buffered: 0 });
  });

  it('sends a partial batch after the flush interval', async () => {
    const { sqs, sender } = setup({ flushIntervalMs: 10 });

    enqueueRange(sender, 0, 3);

    expect(sqs.requests).toHaveLength(0);
    await vi.waitFor(() => expect(sqs.requests.map((r) => r.length)).toEqual([3]));
  });

  it('keeps at most maxInFlightRequests requests open and batches what waits', async () => {
    // Prepare
    const held = gate();
    const { sqs, sender } = setup({ maxInFlightRequests: 2 }, async (entries) => {
      await held.promise;
      return batchOutput(entries);
    });

    // Act
    enqueueRange(sender, 0, 55);

    // Assess
    expect(sender.stats).toMatchObject({ inFlightRequests: 2, buffered: 35 });
    held.open();
    await sender.flush();
    expect(sqs.accepted.map((b) => JSON.parse(b).n)).toEqual([...Array(55).keys()]);
    expect(sqs.requests.map((r) => r.length)).toEqual([10, 10, 10, 10, 10, 5]);
  });

  it('drops the oldest buffered event when the buffer is full, and says so', async () => {
    // Prepare: the first request hangs, so later events pile up in a buffer of 5
    const held = gate();
    const { sqs, sender, drops } = setup(
      { maxBatchSize: 2, maxInFlightRequests: 1, maxBufferSize: 5 },
      async (entries) => {
        await held.promise;
        return batchOutput(entries);
      },
    );

    // Act
    enqueueRange(sender, 0, 9);
    held.open();
    await sender.flush();

    // Assess
    expect(drops.map((d) => [d.reason, d.messages])).toEqual([
      ['buffer-full', [message(2).body]],
      ['buffer-full', [message(3).body]],
    ]);
    expect(sqs.accepted.map((b) => JSON.parse(b).n)).toEqual([0, 1, 4, 5, 6, 7, 8]);
    expect(sender.stats).toMatchObject({ sent: 7, dropped: 2 });
  });
});

describe('BatchSender retries', () => {
  it('retries a throttled request after a jittered backoff', async () => {
    // Prepare
    const { sqs, sender, sleeps } = setup({}, (entries, call) => {
      if (call === 1)
        throw new RequestThrottled({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
      return batchOutput(entries);
    });

    // Act
    enqueueRange(sender, 0, 10);
    await sender.flush();

    // Assess
    expect(sleeps).toEqual([25]);
    expect(sqs.accepted).toHaveLength(10);
    expect(sender.stats).toMatchObject({ sent: 10, retried: 10, requests: 2, dropped: 0 });
  });

  it('re-sends only the failed entries, and drops sender faults for good', async () => {
    // Prepare
    const { sqs, sender, drops } = setup({}, (entries, call) =>
      call === 1
        ? batchOutput(entries, [
            { id: '2', senderFault: false },
            { id: '5', senderFault: false, code: 'RequestThrottled' },
            { id: '7', senderFault: true },
          ])
        : batchOutput(entries),
    );

    // Act
    enqueueRange(sender, 0, 10);
    await sender.flush();

    // Assess
    expect(sqs.requests[1]).toEqual([message(2).body, message(5).body]);
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ reason: 'rejected', count: 1, messages: [message(7).body] });
    expect(drops[0]!.error).toBeInstanceOf(SqsEntryError);
    expect(sender.stats).toMatchObject({ sent: 9, dropped: 1, retried: 2, requests: 2 });
  });

  it('gives up after maxRetries with growing backoff and reports the last error', async () => {
    // Prepare
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const { sender, drops, sleeps } = setup({ maxRetries: 3 }, () => {
      throw refused;
    });

    // Act
    enqueueRange(sender, 0, 10);
    await sender.flush();

    // Assess
    expect(sleeps).toEqual([25, 50, 100]);
    expect(drops).toEqual([
      expect.objectContaining({ reason: 'retries-exhausted', count: 10, error: refused }),
    ]);
    expect(sender.stats).toMatchObject({ sent: 0, dropped: 10, retried: 30, requests: 4 });
  });

  it('does not retry an error that will never pass', async () => {
    const { sender, drops } = setup({}, () => {
      throw new QueueDoesNotExist({
        message: 'The specified queue does not exist.',
        $metadata: { httpStatusCode: 400 },
      });
    });

    enqueueRange(sender, 0, 10);
    await sender.flush();

    expect(drops.map((d) => [d.reason, d.count])).toEqual([['rejected', 10]]);
    expect(sender.stats).toMatchObject({ requests: 1, dropped: 10 });
  });
});

describe('BatchSender flush and close', () => {
  it('flush resolves at once when nothing is pending', async () => {
    const { sender } = setup();

    await expect(sender.flush()).resolves.toBeUndefined();
  });

  it('flush waits for requests already under way', async () => {
    // Prepare
    const held = gate();
    const { sender } = setup({}, async (entries) => {
      await held.promise;
      return batchOutput(entries);
    });
    enqueueRange(sender, 0, 10);
    let flushed = false;

    // Act
    const flushing = sender.flush().then(() => {
      flushed = true;
    });
    await new Promise((r) => setTimeout(r, 20));

    // Assess
    expect(flushed).toBe(false);
    held.open();
    await flushing;
    expect(sender.stats.sent).toBe(10);
  });

  it('close sends what is buffered and drops what comes later', async () => {
    const { sqs, sender, drops } = setup();
    enqueueRange(sender, 0, 3);

    await sender.close();
    sender.enqueue(message(99));

    expect(sqs.accepted).toHaveLength(3);
    expect(drops).toEqual([expect.objectContaining({ reason: 'closed', count: 1 })]);
  });

  it('survives an onDrop callback that throws', async () => {
    const sqs = new FakeSqs();
    const sender = new BatchSender({
      sqs,
      options: resolveOptions({ queueUrl: 'q', source: 's', maxBufferSize: 1, flushIntervalMs: 60_000 }, {}),
      onDrop: () => {
        throw new Error('callback bug');
      },
    });

    enqueueRange(sender, 0, 3);
    await sender.flush();

    expect(sender.stats).toMatchObject({ sent: 1, dropped: 2 });
  });
});
