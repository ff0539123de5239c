/**
 * How the SQS event source mapping cuts a stream of messages into ingest batches, for the benchmark.
 *
 * What a task's events cost depends on how many of them share a batch (the ingest writes an
 * execution once per batch), so the bench must cut batches the way Lambda does, with the settings
 * the stack deploys. The model, from the Lambda Developer Guide ("Configuring scaling behavior for
 * SQS event source mappings", "Lambda parameters for Amazon SQS event source mappings"):
 * - Lambda reads a standard queue with several pollers at once: it "starts processing five batches at
 *   a time" and does not go below five when maximum concurrency is set. A standard queue hands each
 *   message to whichever receive call finds it, so the model assigns every message to one of
 *   `pollers` batches-in-the-making at random (seeded): events of one task sent seconds apart share
 *   a batch only if they reach the same poller.
 * - A poller's batch opens with its first message and is invoked when it holds `batchSize` messages,
 *   when `windowMs` has passed since it opened, or when the next message would take the payload over
 *   6 MB (Lambda's invocation payload limit), whichever comes first.
 * - Messages arrive at their `occurredAt` (the producer sends at once); batches are delivered in the
 *   order they close.
 */

import { seededRandom } from '../demo/lifecycle';
import type { TaskEvent } from '../lambdas/shared/contract/event';
import type { SqsEventSource } from '../local/stack-types';

/** Lambda's synchronous invocation payload limit, bytes. */
export const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * Bytes an SQS record adds around its body in the Lambda event (messageId, receipt handle,
 * attributes, md5, ARNs as JSON): an estimate of about 1 KB, which only matters when batches are
 * cut by the 6 MB payload rather than by size or window.
 */
export const SQS_RECORD_OVERHEAD_BYTES = 1024;

/** Concurrent batches Lambda gathers from a standard queue when maximum concurrency is set. */
export const SQS_POLLERS = 5;

/** A message as the model sees it. */
export interface TimedMessage<T> {
  readonly message: T;
  /** When the message becomes visible in the queue, epoch ms. */
  readonly arrivalMs: number;
  /** Size of its body, bytes. */
  readonly bodyBytes: number;
}

/** Settings of the event source mapping the model follows. */
export interface BatchingOptions {
  /** Messages per invocation at most (`BatchSize`). */
  readonly batchSize: number;
  /** `MaximumBatchingWindowInSeconds`, in ms. */
  readonly windowMs: number;
  /** Batches gathered at once. @default SQS_POLLERS */
  readonly pollers?: number;
  /** Random numbers in [0, 1) (seeded, so runs are comparable). */
  readonly random: () => number;
}

/** One invocation of the model: its messages and when it was invoked (epoch ms). */
export interface ModelBatch<T> {
  readonly messages: T[];
  readonly invokedAtMs: number;
}

/** Cut messages (any order; sorted by arrival here) into batches, in the order they are invoked. Pure. */
export const cutBatches = <T>(
  messages: readonly TimedMessage<T>[],
  options: BatchingOptions,
): ModelBatch<T>[] => {
  const pollers = options.pollers ?? SQS_POLLERS;
  const open: ({ messages: T[]; openedMs: number; bytes: number } | undefined)[] =
    Array(pollers).fill(undefined);
  const closed: ModelBatch<T>[] = [];
  const close = (p: number, atMs: number) => {
    closed.push({ messages: open[p]!.messages, invokedAtMs: atMs });
    open[p] = undefined;
  };
  const sorted = [...messages].sort((a, b) => a.arrivalMs - b.arrivalMs);
  for (const m of sorted) {
    // Windows that ran out before this message arrived are invoked first.
    for (let p = 0; p < pollers; p++) {
      const b = open[p];
      if (b !== undefined && m.arrivalMs >= b.openedMs + options.windowMs)
        close(p, b.openedMs + options.windowMs);
    }
    const p = Math.min(pollers - 1, Math.floor(options.random() * pollers));
    const size = m.bodyBytes + SQS_RECORD_OVERHEAD_BYTES;
    if (open[p] !== undefined && open[p]!.bytes + size > LAMBDA_PAYLOAD_BYTES) close(p, m.arrivalMs);
    const b = open[p] ?? { messages: [], openedMs: m.arrivalMs, bytes: 0 };
    open[p] = b;
    b.messages.push(m.message);
    b.bytes += size;
    if (b.messages.length >= options.batchSize) close(p, m.arrivalMs);
  }
  for (let p = 0; p < pollers; p++) if (open[p] !== undefined) close(p, open[p]!.openedMs + options.windowMs);
  return closed.sort((a, b) => a.invokedAtMs - b.invokedAtMs);
};

/**
 * The ingest batches of a stream of events under a deployed SQS event source mapping (its batch size
 * and window, as CDK synthesized them): events arrive at their `occurredAt`, with their JSON as body.
 * Seeded, so every design measured on the same stream sees the same batches.
 */
export const ingestBatchesOf = (
  events: readonly TaskEvent[],
  source: Pick<SqsEventSource, 'batchSize' | 'maximumBatchingWindowSeconds'>,
  pollers: number = SQS_POLLERS,
): ModelBatch<TaskEvent>[] =>
  cutBatches(
    events.map((e) => ({
      message: e,
      arrivalMs: Date.parse(e.occurredAt),
      bodyBytes: Buffer.byteLength(JSON.stringify(e)),
    })),
    {
      batchSize: source.batchSize,
      windowMs: source.maximumBatchingWindowSeconds * 1000,
      pollers,
      random: seededRandom(11),
    },
  );
