/** Base of Taskpulse's storage errors; `cause` keeps the SDK error. */
export class StoreError extends Error {
  override readonly name: string = 'StoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Another writer changed the item since it was read (optimistic concurrency). Retry from a fresh read. */
export class VersionConflictError extends StoreError {
  override readonly name: string = 'VersionConflictError';
}

/** DynamoDB left some requests unprocessed after retries (throttling). The caller retries the records. */
export class UnprocessedError extends StoreError {
  override readonly name: string = 'UnprocessedError';
}

/** True for an AWS SDK `ConditionalCheckFailedException` (by name, so it works across SDK copies). */
export const isConditionalCheckFailed = (error: unknown): boolean =>
  (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
