import { UnprocessedError } from '../errors';

/**
 * The one decision between "try again later" and "this will never work" for an error from an AWS
 * SDK call. Written by hand because the SDK's own classification (`@smithy/service-error-classification`)
 * is not a direct dependency and its API is internal to the retry strategy; the lists below follow it.
 */

/** Error names (`error.name` / `error.code`) of throttling and transient service errors. */
const RETRYABLE_NAMES = new Set([
  // throttling
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'TransactionInProgressException',
  // transient service-side failures
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  // timeouts
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Node.js socket error codes of a reset, refused or timed-out connection. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly cause?: unknown;
}

/**
 * True when the same request may succeed later: throttling, HTTP 429 and 5xx, timeouts, reset or
 * refused connections (also when wrapped as `cause`), errors the SDK marks `$retryable`, and our own
 * `UnprocessedError` (DynamoDB left requests unprocessed under throttling). False for everything
 * else: `ValidationException`, `ConditionalCheckFailedException`, other 4xx, and errors raised before
 * the request was sent (e.g. the marshaller refusing a value), which would fail the same way again.
 * Pure.
 */
export const isRetryableAwsError = (error: unknown): boolean => {
  for (let e: unknown = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    if (e instanceof UnprocessedError) return true;
    const shape = e as ErrorShape;
    if (shape.$retryable !== undefined && shape.$retryable !== false) return true;
    if (typeof shape.name === 'string' && RETRYABLE_NAMES.has(shape.name)) return true;
    if (typeof shape.code === 'string' && (NETWORK_CODES.has(shape.code) || RETRYABLE_NAMES.has(shape.code)))
      return true;
    const status = shape.$metadata?.httpStatusCode;
    if (typeof status === 'number' && (status === 429 || status >= 500)) return true;
    e = shape.cause;
  }
  return false;
};
