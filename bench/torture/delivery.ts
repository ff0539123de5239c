import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sqsEventOf, type TestMessage } from '../../test/support/sqs-event';

/**
 * A delivery driver for the ingest handler with the SQS event source mapping's semantics, kept in
 * memory so a scenario controls order and batching exactly: batches of random size up to the mapping's
 * batch size, several invocations in flight, `ReportBatchItemFailures` (a failed record comes back,
 * the others are deleted), a handler that throws fails its whole batch, and a record that failed on
 * its `maxReceiveCount`-th receive goes to the dead-letter queue. A failed record comes back at a
 * random later position, so it is batched with different neighbours on every retry.
 *
 * Written here instead of using `local/sqs-poller.ts` because the scenarios need seeded shuffling and
 * splitting that a real queue does not let a test choose; R4 uses the real queue and poller.
 */

/** One SQS message; a redelivery keeps the id, body and send time. */
export type QueuedMessage = TestMessage;

interface DeliveryOptions {
  /** Seeded uniform generator in [0, 1). */
  readonly rand: () => number;
  /** Largest batch (the mapping's `BatchSize`). */
  readonly batchSize: number;
  /** Receives before a failing message goes to the DLQ (the queue's `maxReceiveCount`). */
  readonly maxReceiveCount: number;
  /** Invocations in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Batches of exactly `batchSize`, in the given order, never reordered on retry. @default false */
  readonly inOrder?: boolean;
  /** Called after every `every`-th batch, e.g. to let the aggregator catch up. */
  readonly between?: { readonly every: number; readonly run: () => Promise<void> };
}

interface DeliveryResult {
  /** Handler invocations. */
  readonly invocations: number;
  /** Records handed to the handler (each redelivery counts). */
  readonly received: number;
  /** Records reported as failed (each failure counts). */
  readonly failedReceives: number;
  /** Invocations that threw (a Lambda crash). */
  readonly crashes: number;
  /** Messages moved to the dead-letter queue. */
  readonly deadLettered: QueuedMessage[];
}

/** Deliver every message until it is acknowledged or dead-lettered. */
export const deliverAll = async (
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
  messages: readonly QueuedMessage[],
  options: DeliveryOptions,
): Promise<DeliveryResult> => {
  const { rand, batchSize, maxReceiveCount } = options;
  const queue = messages.map((message) => ({ message, receives: 0 }));
  const result = {
    invocations: 0,
    received: 0,
    failedReceives: 0,
    crashes: 0,
    deadLettered: [] as QueuedMessage[],
  };
  const inFlight = new Set<Promise<void>>();
  let batches = 0;

  const invoke = async (batch: { message: QueuedMessage; receives: number }[]): Promise<void> => {
    for (const entry of batch) entry.receives++;
    result.invocations++;
    result.received += batch.length;
    let failed: Set<string>;
    try {
      const receivesOf = new Map(batch.map((e) => [e.message.messageId, e.receives]));
      const response = await handler(
        sqsEventOf(
          batch.map((e) => e.message),
          (m) => receivesOf.get(m.messageId) ?? 1,
        ),
      );
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      result.crashes++;
      failed = new Set(batch.map((e) => e.message.messageId));
    }
    for (const entry of batch) {
      if (!failed.has(entry.message.messageId)) continue;
      result.failedReceives++;
      if (entry.receives >= maxReceiveCount) {
        result.deadLettered.push(entry.message);
      } else if (options.inOrder) {
        queue.unshift(entry);
      } else {
        // Visible again later, among other neighbours.
        queue.splice(Math.floor(rand() * (queue.length + 1)), 0, entry);
      }
    }
  };

  while (queue.length > 0 || inFlight.size > 0) {
    if (queue.length === 0 || inFlight.size >= (options.concurrency ?? 4)) {
      await Promise.race(inFlight);
      continue;
    }
    const size = options.inOrder ? batchSize : 1 + Math.floor(rand() * batchSize);
    const run = invoke(queue.splice(0, size)).finally(() => inFlight.delete(run));
    inFlight.add(run);
    batches++;
    if (options.between !== undefined && batches % options.between.every === 0) {
      await Promise.all(inFlight);
      await options.between.run();
    }
  }
  return result;
};
