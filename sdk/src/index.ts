/**
 * Taskpulse producer SDK: report the lifecycle of background tasks to the Taskpulse events queue.
 *
 * ```ts
 * const taskpulse = createTaskpulse({ queueUrl: process.env.TASKPULSE_QUEUE_URL });
 * await taskpulse.track('send-invoice', { params: { invoiceId } }, () => sendInvoice(invoiceId));
 * ```
 */
export type { Rejection, TaskEvent, TaskStatus } from '../../lambdas/shared/contract/event';
export { CONTRACT_VERSION, TASK_STATUSES, validateTaskEvent } from '../../lambdas/shared/contract/event';
export { EVENT_LIMITS } from '../../lambdas/shared/contract/limits';
export { backoffDelayMs } from './backoff';
export {
  type BatchLimits,
  isBatchFull,
  nextBatchSize,
  planBatches,
  type SizedEntry,
  SQS_BATCH_LIMITS,
} from './batching';
export { classifySendError, isThrottling, sortBatchResult } from './classify';
export {
  createTaskpulse,
  type TaskFields,
  type Taskpulse,
  type TaskpulseInternals,
  type TrackContext,
  type TrackOptions,
} from './client';
export { createDropLogger } from './drop-log';
export { SqsEntryError, TaskpulseConfigError, TaskpulseError, TaskpulseValidationError } from './errors';
export type { EventInput } from './events';
export {
  DEFAULT_OPTIONS,
  DROP_REASONS,
  type DropReason,
  type DropReport,
  SDK_ENV,
  type SqsSender,
  type TaskpulseLogger,
  type TaskpulseOptions,
} from './options';
export type { TaskpulseStats } from './sender';
export { SQS_LIMITS } from './sqs-limits';
export { describeError, trimText } from './trim';
