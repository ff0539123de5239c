import type { Rejection } from '../../lambdas/shared/contract/event';

/** Base of the errors the SDK throws; only for the caller's own bugs, never for SQS trouble. */
export class TaskpulseError extends Error {
  override readonly name: string = 'TaskpulseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * An event would break the contract (invalid task type, oversize params, bad labels, clock far in the
 * future). Thrown by `emit`, `enqueued` and by `track` before the task runs; fix the call site.
 */
export class TaskpulseValidationError extends TaskpulseError {
  override readonly name = 'TaskpulseValidationError';
  /** The contract's rejection code (`schema`, `oversize`, `clock`). */
  readonly code: Rejection['code'];
  /** Human-readable reason, naming each offending field. */
  readonly reason: string;

  constructor(rejection: Rejection, options?: { cause?: unknown }) {
    super(`invalid Taskpulse event: ${rejection.reason}`, options);
    this.code = rejection.code;
    this.reason = rejection.reason;
  }
}

/** `createTaskpulse` was given options it cannot work with (no queue URL, bad limits or source). */
export class TaskpulseConfigError extends TaskpulseError {
  override readonly name = 'TaskpulseConfigError';
}

/** SQS refused one entry of a `SendMessageBatch` request; reported to `onDrop` when it is dropped. */
export class SqsEntryError extends TaskpulseError {
  override readonly name = 'SqsEntryError';
  constructor(
    /** The per-entry error code SQS returned, e.g. `InvalidMessageContents`. */
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
