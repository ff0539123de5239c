import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { backoffDelayMs } from './backoff';
import type { BatchLimits } from './batching';
import { DropOldestBuffer } from './buffer';
import { type BatchOutcome, classifySendError, sortBatchResult } from './classify';
import { SqsEntryError } from './errors';
import type { OutgoingMessage } from './events';
import {
  DROP_REASONS,
  type DropReason,
  type DropReport,
  type ResolvedOptions,
  type SqsSender,
} from './options';
import { SQS_LIMITS } from './sqs-limits';

/** Counters of one client since it was created. */
export interface TaskpulseStats {
  /** Events SQS accepted. */
  readonly sent: number;
  /** Events given up on (buffer full, retries exhausted, rejected, after close, invalid). */
  readonly dropped: number;
  /** Event sends repeated after throttling or a failure (one per event per retry). */
  readonly retried: number;
  /** `SendMessageBatch` requests made, failed ones included. */
  readonly requests: number;
  /** Events waiting in the buffer now. */
  readonly buffered: number;
  /** Requests under way now. */
  readonly inFlightRequests: number;
}

/** What the sender needs besides its options; `random` and `sleep` are injectable for tests. */
interface SenderDeps {
  readonly sqs: SqsSender;
  readonly options: ResolvedOptions;
  readonly onDrop: (report: DropReport) => void;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

interface Pending extends OutgoingMessage {
  /** Position in emission order, for `flush`. */
  readonly seq: number;
}

interface Request {
  readonly minSeq: number;
}

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Buffers serialized events and sends them with `SendMessageBatch` in the background: a request
 * leaves as soon as a batch is full, or `flushIntervalMs` after the oldest waiting event arrived, or
 * on `flush()`. Failed requests and failed entries are retried with backoff; nothing here ever
 * throws to the caller of `enqueue`.
 */
export class BatchSender {
  private readonly buffer: DropOldestBuffer<Pending>;
  private readonly limits: BatchLimits;
  private readonly inFlight = new Set<Request>();
  private readonly flushWaiters: { readonly seq: number; readonly resolve: () => void }[] = [];
  private readonly counters = { sent: 0, dropped: 0, retried: 0, requests: 0 };
  private nextSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The flush interval elapsed: the next request may leave with a partial batch. */
  private due = false;
  private closed = false;

  constructor(private readonly deps: SenderDeps) {
    this.buffer = new DropOldestBuffer(deps.options.maxBufferSize);
    this.limits = { maxEntries: deps.options.maxBatchSize, maxBytes: SQS_LIMITS.maxBatchPayloadBytes };
  }

  get stats(): TaskpulseStats {
    return {
      ...this.counters,
      buffered: this.buffer.length,
      inFlightRequests: this.inFlight.size,
    };
  }

  /** Queue one event; never blocks, never throws. */
  enqueue(message: OutgoingMessage): void {
    if (this.closed) {
      this.drop(DROP_REASONS.closed, [message]);
      return;
    }
    const dropped = this.buffer.push({ ...message, seq: this.nextSeq++ });
    if (dropped !== undefined) this.drop(DROP_REASONS.bufferFull, [dropped]);
    this.pump();
  }

  /** Report events given up on before they reached the buffer (e.g. invalid ones). */
  drop(
    reason: DropReason,
    messages: readonly OutgoingMessage[],
    error?: unknown,
    count = messages.length,
  ): void {
    this.counters.dropped += count;
    try {
      this.deps.onDrop({
        reason,
        count,
        messages: messages.map((m) => m.body),
        ...(error !== undefined && { error }),
      });
    } catch {
      // A failing drop callback must not break sending or the producer.
    }
    this.settleFlushes();
  }

  /** Resolves once every event enqueued before the call was sent or dropped. Never rejects. */
  flush(): Promise<void> {
    const seq = this.nextSeq - 1;
    return new Promise((resolve) => {
      this.flushWaiters.push({ seq, resolve });
      this.pump();
      this.settleFlushes();
    });
  }

  /** Flush, then drop anything emitted later; stops the flush timer. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    this.stopTimer();
  }

  private pump(): void {
    const flushUpTo = this.flushWaiters.reduce((max, w) => Math.max(max, w.seq), -1);
    while (this.inFlight.size < this.deps.options.maxInFlightRequests && this.buffer.length > 0) {
      const full = this.buffer.hasFullBatch(this.limits);
      const flushing = this.buffer.peek()!.seq <= flushUpTo;
      if (!full && !this.due && !flushing) break;
      if (!full) this.due = false;
      this.dispatch(this.buffer.takeBatch(this.limits));
    }
    if (this.buffer.length === 0) {
      this.due = false;
      this.stopTimer();
    } else if (this.timer === undefined && !this.due) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.due = true;
        this.pump();
      }, this.deps.options.flushIntervalMs);
      // An idle worker may exit with events buffered for at most one interval; close() avoids that.
      this.timer.unref();
    }
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private dispatch(batch: Pending[]): void {
    const request: Request = { minSeq: batch[0]!.seq };
    this.inFlight.add(request);
    this.deliver(batch)
      .catch((error: unknown) => this.drop(DROP_REASONS.retriesExhausted, batch, error))
      .finally(() => {
        this.inFlight.delete(request);
        this.pump();
        this.settleFlushes();
      });
  }

  /** Send one batch until every entry is sent or dropped, retrying only what failed. */
  private async deliver(batch: readonly Pending[]): Promise<void> {
    const { options } = this.deps;
    let pending = batch;
    for (let retry = 0; ; retry++) {
      if (retry > 0) {
        const delay = backoffDelayMs(
          retry,
          options.retryBaseDelayMs,
          options.retryMaxDelayMs,
          this.deps.random,
        );
        await (this.deps.sleep ?? sleepMs)(delay);
        this.counters.retried += pending.length;
      }
      const { outcome, error } = await this.sendOnce(pending);
      this.counters.sent += outcome.sent.length;
      if (outcome.rejected.length > 0) this.drop(DROP_REASONS.rejected, outcome.rejected, error);
      if (outcome.retry.length === 0) return;
      if (retry >= options.maxRetries) {
        this.drop(DROP_REASONS.retriesExhausted, outcome.retry, error);
        return;
      }
      pending = outcome.retry;
    }
  }

  private async sendOnce(
    pending: readonly Pending[],
  ): Promise<{ outcome: BatchOutcome<Pending>; error?: unknown }> {
    this.counters.requests++;
    try {
      const output = await this.deps.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.deps.options.queueUrl,
          Entries: pending.map((entry, index) => ({ Id: String(index), MessageBody: entry.body })),
        }),
      );
      const outcome = sortBatchResult(pending, output);
      const error = outcome.failure && new SqsEntryError(outcome.failure.code, outcome.failure.message);
      return { outcome, error };
    } catch (error) {
      const all = [...pending];
      const outcome =
        classifySendError(error) === 'retry'
          ? { sent: [], retry: all, rejected: [] }
          : { sent: [], retry: [], rejected: all };
      return { outcome, error };
    }
  }

  /** Resolve the flushes whose events have all left the buffer and their requests. */
  private settleFlushes(): void {
    if (this.flushWaiters.length === 0) return;
    let settledBelow = this.buffer.peek()?.seq ?? Number.POSITIVE_INFINITY;
    for (const request of this.inFlight) settledBelow = Math.min(settledBelow, request.minSeq);
    for (let i = this.flushWaiters.length - 1; i >= 0; i--) {
      const waiter = this.flushWaiters[i]!;
      if (waiter.seq < settledBelow) {
        this.flushWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}
