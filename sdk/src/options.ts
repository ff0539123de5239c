import { hostname } from 'node:os';
import type {
  SendMessageBatchCommand,
  SendMessageBatchCommandOutput,
  SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { EVENT_LIMITS } from '../../lambdas/shared/contract/limits';
import { TaskpulseConfigError } from './errors';
import { SQS_LIMITS } from './sqs-limits';

/** Environment variables the SDK reads when the matching option is not given. */
export const SDK_ENV = {
  /** URL of the events queue (the stack output `EventsQueueUrl`). */
  queueUrl: 'TASKPULSE_QUEUE_URL',
  /** Producer name put on every event. */
  source: 'TASKPULSE_SOURCE',
} as const;

/** Why events were dropped instead of sent. */
export const DROP_REASONS = {
  /** The buffer was full (SQS slow or down); the oldest buffered event made room for a new one. */
  bufferFull: 'buffer-full',
  /** Throttling or SQS/network failures outlasted `maxRetries`. */
  retriesExhausted: 'retries-exhausted',
  /** SQS refused the event for good (sender fault, access denied, queue missing). */
  rejected: 'rejected',
  /** Emitted after `close()`. */
  closed: 'closed',
  /** A terminal event of `track` failed validation after the task ran (the task's result is kept). */
  invalid: 'invalid',
} as const;

/** One of `DROP_REASONS`. */
export type DropReason = (typeof DROP_REASONS)[keyof typeof DROP_REASONS];

/** One occurrence of dropped events, passed to `onDrop`. */
export interface DropReport {
  readonly reason: DropReason;
  readonly count: number;
  /** The JSON bodies of the dropped events, e.g. to write them to a local spill file. */
  readonly messages: readonly string[];
  /** The last error behind the drop, when there was one. */
  readonly error?: unknown;
}

/** Where the default `onDrop` writes. */
export interface TaskpulseLogger {
  warn(message: string): void;
}

/** What the SDK needs from an SQS client: `SQSClient` fits, and so does a thin wrapper around one. */
export interface SqsSender {
  send(command: SendMessageBatchCommand): Promise<SendMessageBatchCommandOutput>;
}

/** Options of `createTaskpulse`. */
export interface TaskpulseOptions {
  /**
   * URL of the Taskpulse events queue.
   * @default process.env.TASKPULSE_QUEUE_URL (required one way or the other)
   */
  readonly queueUrl?: string;
  /**
   * The client to send with. Bring your own to share connection pools, credentials or middleware;
   * the SDK then leaves its retry settings alone and never destroys it.
   * @default a new `SQSClient` built from `clientConfig`
   */
  readonly sqs?: SqsSender;
  /**
   * Settings for the `SQSClient` the SDK creates when `sqs` is not given, applied over the SDK's own
   * defaults: `maxAttempts: 1` (the SDK retries itself, entry by entry) and short connection (1 s)
   * and request (5 s) timeouts so that an unreachable endpoint fails fast. Region and endpoint come
   * from the usual `AWS_REGION` / `AWS_ENDPOINT_URL` when not set here.
   * @default {}
   */
  readonly clientConfig?: SQSClientConfig;
  /**
   * Which producer sent the events (service or host name; printable ASCII, no spaces).
   * @default process.env.TASKPULSE_SOURCE, else AWS_LAMBDA_FUNCTION_NAME, else the host name
   */
  readonly source?: string;
  /**
   * Events per `SendMessageBatch` request, 1 to 10.
   * @default 10
   */
  readonly maxBatchSize?: number;
  /**
   * Longest time an event waits in the buffer for a batch to fill before it is sent anyway.
   * @default 50
   */
  readonly flushIntervalMs?: number;
  /**
   * Most events held while waiting to be sent. When full, the OLDEST buffered event is dropped,
   * counted and reported (see `DropOldestBuffer` for why). Events in requests already under way are
   * not counted here (at most `maxInFlightRequests × maxBatchSize` more).
   * @default 10000
   */
  readonly maxBufferSize?: number;
  /**
   * Requests sent in parallel.
   * @default 4
   */
  readonly maxInFlightRequests?: number;
  /**
   * Retries of a request or of its failed entries (throttling, SQS faults, network errors) before its
   * events are dropped.
   * @default 5
   */
  readonly maxRetries?: number;
  /**
   * Backoff ceiling of the first retry; it doubles per retry up to `retryMaxDelayMs`, and the actual
   * delay is a uniform draw below it (full jitter).
   * @default 50
   */
  readonly retryBaseDelayMs?: number;
  /**
   * Largest backoff ceiling.
   * @default 2000
   */
  readonly retryMaxDelayMs?: number;
  /**
   * Called, synchronously and never inside your task, whenever events are dropped. Exceptions it
   * throws are ignored.
   * @default a warning through `logger`, at most one line per reason every 10 s, with counts
   */
  readonly onDrop?: (report: DropReport) => void;
  /**
   * Where the default `onDrop` writes.
   * @default console
   */
  readonly logger?: TaskpulseLogger;
}

/** Default option values (see `TaskpulseOptions`). */
export const DEFAULT_OPTIONS = {
  maxBatchSize: SQS_LIMITS.maxBatchEntries,
  flushIntervalMs: 50,
  maxBufferSize: 10_000,
  maxInFlightRequests: 4,
  maxRetries: 5,
  retryBaseDelayMs: 50,
  retryMaxDelayMs: 2_000,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 5_000,
} as const;

/** Options with every default applied and checked. */
export interface ResolvedOptions {
  readonly queueUrl: string;
  readonly source: string;
  readonly maxBatchSize: number;
  readonly flushIntervalMs: number;
  readonly maxBufferSize: number;
  readonly maxInFlightRequests: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
}

const integerIn = (name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TaskpulseConfigError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
};

/** Turn a host or function name into a valid `source` (printable ASCII, no spaces, bounded). */
export const toSourceName = (name: string): string =>
  name.replace(/[^\x21-\x7e]/g, '-').slice(0, EVENT_LIMITS.maxIdChars) || 'unknown';

/** The `source` used when none is configured. */
export const defaultSource = (env: NodeJS.ProcessEnv = process.env): string =>
  toSourceName(env[SDK_ENV.source] || env.AWS_LAMBDA_FUNCTION_NAME || hostname());

/** Apply defaults and check ranges; throws `TaskpulseConfigError` naming the bad option. */
export const resolveOptions = (
  options: TaskpulseOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedOptions => {
  const queueUrl = options.queueUrl ?? env[SDK_ENV.queueUrl];
  if (queueUrl === undefined || queueUrl.trim() === '') {
    throw new TaskpulseConfigError(
      `no queue URL: pass queueUrl to createTaskpulse or set ${SDK_ENV.queueUrl} (the stack output EventsQueueUrl)`,
    );
  }
  const d = DEFAULT_OPTIONS;
  return {
    queueUrl,
    source: options.source ?? defaultSource(env),
    maxBatchSize: integerIn(
      'maxBatchSize',
      options.maxBatchSize ?? d.maxBatchSize,
      1,
      SQS_LIMITS.maxBatchEntries,
    ),
    flushIntervalMs: integerIn('flushIntervalMs', options.flushIntervalMs ?? d.flushIntervalMs, 0, 60_000),
    maxBufferSize: integerIn('maxBufferSize', options.maxBufferSize ?? d.maxBufferSize, 1),
    maxInFlightRequests: integerIn(
      'maxInFlightRequests',
      options.maxInFlightRequests ?? d.maxInFlightRequests,
      1,
      100,
    ),
    maxRetries: integerIn('maxRetries', options.maxRetries ?? d.maxRetries, 0, 100),
    retryBaseDelayMs: integerIn('retryBaseDelayMs', options.retryBaseDelayMs ?? d.retryBaseDelayMs, 0),
    retryMaxDelayMs: integerIn('retryMaxDelayMs', options.retryMaxDelayMs ?? d.retryMaxDelayMs, 0),
  };
};
