/**
 * Amazon SQS request limits that shape how the SDK batches (SendMessageBatch API reference, 2025:
 * "the maximum allowed individual message size and the maximum total payload size (the sum of the
 * individual lengths of all of the batched messages) are both 1 MiB").
 *
 * Taskpulse events are at most `EVENT_LIMITS.maxEventBytes` (16 KiB), so ten of them stay far below
 * both the current 1 MiB and the former 256 KiB limit; the byte limit still bounds every plan.
 */
export const SQS_LIMITS = {
  /** Entries in one `SendMessageBatch` request. */
  maxBatchEntries: 10,
  /** Sum of the message bodies of one `SendMessageBatch` request, UTF-8 bytes (1 MiB). */
  maxBatchPayloadBytes: 1_048_576,
} as const;
