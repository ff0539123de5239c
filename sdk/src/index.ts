/**
 * Taskpulse producer SDK: report the lifecycle of background tasks to the Taskpulse events queue.
 *
 * ```ts
 * const taskpulse = createTaskpulse({ queueUrl: process.env.TASKPULSE_QUEUE_URL });
 * await taskpulse.track('send-invoice', { params: { invoiceId } }, () => sendInvoice(invoiceId));
 * ```
 *
 * The public API only: the client, its options and results, and its errors. Batching, retry and
 * trimming helpers are internal (tested in test/sdk/), so they can change without a major version.
 */
export type { TaskEvent, TaskStatus } from '../../lambdas/shared/contract/event';
export {
  createTaskpulse,
  type TaskFields,
  type Taskpulse,
  type TrackContext,
  type TrackOptions,
} from './client';
export { SqsEntryError, TaskpulseConfigError, TaskpulseError, TaskpulseValidationError } from './errors';
export type { EventInput } from './events';
export type { DropReason, DropReport, SqsSender, TaskpulseLogger, TaskpulseOptions } from './options';
export type { TaskpulseStats } from './sender';
