import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { EVENT_LIMITS, LABEL_KEY_PATTERN } from '../../lambdas/shared/contract/limits';
import { createDropLogger } from './drop-log';
import { TaskpulseConfigError, TaskpulseValidationError } from './errors';
import { completeEvent, type EventInput, toMessage } from './events';
import {
  DEFAULT_OPTIONS,
  DROP_REASONS,
  resolveOptions,
  type SqsSender,
  type TaskpulseOptions,
} from './options';
import { BatchSender, type TaskpulseStats } from './sender';
import { describeError } from './trim';

/** Fields of a task that `track` and `enqueued` copy onto each of its events. */
export type TaskFields = Pick<EventInput, 'jobId' | 'parentTaskId' | 'params' | 'dimensions' | 'metrics'> & {
  /**
   * Identifies the task run across its events; pass the id `enqueued` returned to join both sides.
   * @default a new UUID
   */
  readonly taskId?: string;
  /**
   * 1 for the first run; retries count up (e.g. BullMQ's `job.attemptsMade + 1`).
   * @default 1
   */
  readonly attempt?: number;
};

/** Options of `track`. */
export type TrackOptions = TaskFields & {
  /**
   * Whether a failure will be retried by your queue: then the attempt ends with `retrying` instead of
   * `failed`. A function receives the thrown error.
   * @default false
   */
  readonly willRetry?: boolean | ((error: unknown) => boolean);
};

/** Handed to the function `track` wraps. */
export interface TrackContext {
  readonly taskId: string;
  readonly attempt: number;
  /**
   * Record a numeric sample (tokens used, confidence…) on the task's terminal event. Throws
   * `TaskpulseValidationError` for a name or value the contract refuses.
   */
  setMetric(name: string, value: number): void;
}

/** A Taskpulse producer client. Create one per process (module scope in a Lambda) and reuse it. */
export interface Taskpulse {
  /**
   * Run `fn` as one attempt of a task: emits `started`, then `succeeded` with its run time, or
   * `failed` (or `retrying`) with the error trimmed to the contract limits, and returns what `fn`
   * returns or rethrows the very error it threw. Sending happens in the background: SQS trouble never
   * delays or fails the task. Throws `TaskpulseValidationError`, before running `fn`, for invalid
   * options (a caller bug).
   */
  track<T>(
    taskType: string,
    options: TrackOptions,
    fn: (context: TrackContext) => T | PromiseLike<T>,
  ): Promise<Awaited<T>>;
  /** Emit `enqueued` on the producing side of a queue; put the returned `taskId` in the job. */
  enqueued(taskType: string, options?: TaskFields): TaskEvent;
  /**
   * Emit any lifecycle event. Fills `version`, `eventId`, `occurredAt`, `attempt` and `source`,
   * validates against the contract and buffers it; returns the complete event. Throws
   * `TaskpulseValidationError` when the event breaks the contract.
   */
  emit(event: EventInput): TaskEvent;
  /** Send everything emitted so far; resolves when it is sent or dropped. Await it before a Lambda returns. */
  flush(): Promise<void>;
  /** Flush, stop the timer and release the SQS client the SDK created. Later events are dropped. */
  close(): Promise<void>;
  /** Counters since creation: sent, dropped, retried, requests, buffered, in-flight requests. */
  readonly stats: TaskpulseStats;
}

/** Test seams of `createTaskpulse`; producers never need them. */
interface TaskpulseInternals {
  readonly env?: NodeJS.ProcessEnv;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const taskFieldsOf = (taskType: string, taskId: string, attempt: number, options: TaskFields) => ({
  taskId,
  taskType,
  attempt,
  ...(options.jobId !== undefined && { jobId: options.jobId }),
  ...(options.parentTaskId !== undefined && { parentTaskId: options.parentTaskId }),
  ...(options.params !== undefined && { params: options.params }),
  ...(options.dimensions !== undefined && { dimensions: options.dimensions }),
  ...(options.metrics !== undefined && { metrics: options.metrics }),
});

const roundMs = (ms: number): number => Math.max(0, Math.round(ms * 1000) / 1000);

const checkMetric = (metrics: Record<string, number>, name: string, value: number): void => {
  const problem = !LABEL_KEY_PATTERN.test(name)
    ? `metrics.${name}: keys must match ${LABEL_KEY_PATTERN.source}`
    : !Number.isFinite(value)
      ? `metrics.${name}: metric values must be finite numbers`
      : !Object.hasOwn(metrics, name) && Object.keys(metrics).length >= EVENT_LIMITS.maxMetrics
        ? `metrics: at most ${EVENT_LIMITS.maxMetrics} metrics are allowed`
        : undefined;
  if (problem !== undefined) throw new TaskpulseValidationError({ code: 'schema', reason: problem });
};

/**
 * Create a producer client. Throws `TaskpulseConfigError` when no queue URL is configured or an
 * option is out of range.
 */
export const createTaskpulse = (
  options: TaskpulseOptions = {},
  internals: TaskpulseInternals = {},
): Taskpulse => {
  const resolved = resolveOptions(options, internals.env);
  const ownsClient = options.sqs === undefined;
  const sqs: SqsSender & { destroy?: () => void } =
    options.sqs ??
    new SQSClient({
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: DEFAULT_OPTIONS.connectionTimeoutMs,
        requestTimeout: DEFAULT_OPTIONS.requestTimeoutMs,
      },
      ...options.clientConfig,
    });
  const sender = new BatchSender({
    sqs,
    options: resolved,
    onDrop: options.onDrop ?? createDropLogger(options.logger ?? console),
    random: internals.random,
    sleep: internals.sleep,
  });
  const defaults = { source: resolved.source };

  const probe = completeEvent(
    { taskId: 'probe', taskType: 'probe', status: 'started' },
    defaults,
    Date.now(),
  );
  try {
    toMessage(probe, Date.now());
  } catch (error) {
    throw new TaskpulseConfigError(`invalid source "${resolved.source}": ${(error as Error).message}`, {
      cause: error,
    });
  }

  const emit = (input: EventInput): TaskEvent => {
    const nowMs = Date.now();
    const { event, message } = toMessage(completeEvent(input, defaults, nowMs), nowMs);
    sender.enqueue(message);
    return event;
  };

  /** Emit a terminal event after the task ran: never throws, reports what it cannot send. */
  const emitAfterRun = (input: EventInput): void => {
    try {
      emit(input);
    } catch (error) {
      const oversize = error instanceof TaskpulseValidationError && error.code === 'oversize';
      if (oversize && input.error?.stack !== undefined) {
        const { stack: _stack, ...errorWithoutStack } = input.error;
        emitAfterRun({ ...input, error: errorWithoutStack });
        return;
      }
      sender.drop(DROP_REASONS.invalid, [], error, 1);
    }
  };

  const willRetryAfter = (willRetry: TrackOptions['willRetry'], error: unknown): boolean => {
    try {
      return typeof willRetry === 'function' ? willRetry(error) === true : willRetry === true;
    } catch {
      return false;
    }
  };

  return {
    async track<T>(
      taskType: string,
      trackOptions: TrackOptions,
      fn: (context: TrackContext) => T | PromiseLike<T>,
    ): Promise<Awaited<T>> {
      const taskId = trackOptions.taskId ?? randomUUID();
      const attempt = trackOptions.attempt ?? 1;
      const fields = taskFieldsOf(taskType, taskId, attempt, trackOptions);
      emit({ ...fields, status: 'started' });
      const metrics: Record<string, number> = { ...trackOptions.metrics };
      const context: TrackContext = {
        taskId,
        attempt,
        setMetric(name, value) {
          checkMetric(metrics, name, value);
          metrics[name] = value;
        },
      };
      const startedAt = performance.now();
      let result: Awaited<T>;
      try {
        result = await fn(context);
      } catch (error) {
        const durationMs = roundMs(performance.now() - startedAt);
        emitAfterRun({
          ...fields,
          status: willRetryAfter(trackOptions.willRetry, error) ? 'retrying' : 'failed',
          durationMs,
          error: describeError(error),
          ...(Object.keys(metrics).length > 0 && { metrics }),
        });
        throw error;
      }
      const durationMs = roundMs(performance.now() - startedAt);
      emitAfterRun({
        ...fields,
        status: 'succeeded',
        durationMs,
        ...(Object.keys(metrics).length > 0 && { metrics }),
      });
      return result;
    },

    enqueued(taskType, taskOptions = {}) {
      const fields = taskFieldsOf(
        taskType,
        taskOptions.taskId ?? randomUUID(),
        taskOptions.attempt ?? 1,
        taskOptions,
      );
      return emit({ ...fields, status: 'enqueued' });
    },

    emit,

    flush: () => sender.flush(),

    async close() {
      await sender.close();
      if (ownsClient) sqs.destroy?.();
    },

    get stats() {
      return sender.stats;
    },
  };
};
