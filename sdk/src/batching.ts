import { SQS_LIMITS } from './sqs-limits';

/** What a batch plan needs to know about one message. */
export interface SizedEntry {
  /** UTF-8 size of the message body. */
  readonly bytes: number;
}

/** Limits of one `SendMessageBatch` request. */
export interface BatchLimits {
  /** Most entries per request (SQS allows 10). */
  readonly maxEntries: number;
  /** Most body bytes per request (SQS allows 1 MiB). */
  readonly maxBytes: number;
}

/** The limits SQS enforces. */
export const SQS_BATCH_LIMITS: BatchLimits = {
  maxEntries: SQS_LIMITS.maxBatchEntries,
  maxBytes: SQS_LIMITS.maxBatchPayloadBytes,
};

/**
 * How many leading entries (from `start`) fit in one request, keeping their order. Always at least
 * one when any entry is left, so an entry larger than `maxBytes` travels alone and SQS reports it
 * (the SDK never builds such entries: events are capped at 16 KiB).
 */
export const nextBatchSize = (
  entries: readonly SizedEntry[],
  limits: BatchLimits = SQS_BATCH_LIMITS,
  start = 0,
): number => {
  let count = 0;
  let bytes = 0;
  for (let i = start; i < entries.length && count < limits.maxEntries; i++) {
    const size = entries[i]!.bytes;
    if (count > 0 && bytes + size > limits.maxBytes) break;
    bytes += size;
    count++;
  }
  return count;
};

/**
 * Split entries, in order, into the fewest consecutive requests that respect `limits`. Order is kept
 * so that a task's `started` usually travels before its `succeeded` (ingest does not rely on it).
 */
export const planBatches = <T extends SizedEntry>(
  entries: readonly T[],
  limits: BatchLimits = SQS_BATCH_LIMITS,
): T[][] => {
  const batches: T[][] = [];
  for (let start = 0; start < entries.length; ) {
    const size = nextBatchSize(entries, limits, start);
    batches.push(entries.slice(start, start + size));
    start += size;
  }
  return batches;
};

/**
 * True when the first request can no longer grow: it is at `maxEntries`, or the next entry would
 * overflow `maxBytes`. Such a batch is sent at once instead of waiting for the flush interval.
 */
export const isBatchFull = (
  entries: readonly SizedEntry[],
  limits: BatchLimits = SQS_BATCH_LIMITS,
  start = 0,
): boolean => {
  const size = nextBatchSize(entries, limits, start);
  return size >= limits.maxEntries || size < entries.length - start;
};
