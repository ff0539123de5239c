/**
 * Whether an AWS SDK error is worth trying again: the one decision between "hand the record back for
 * redelivery" and "record it as a permanent failure and move on" (design: "A permanent error is
 * recorded, never retried forever").
 *
 * Written by hand because the SDK's own classification (`@smithy/service-error-classification`) is
 * not a public dependency of ours and also treats an unclassified error as final, where we prefer a
 * retry: an error only counts as permanent when the service answered with an HTTP 4xx status that
 * the request itself is wrong, so a skip always has a stated reason.
 */

/** Error names (`error.name`, the service's error code) of throttling and transient service faults. */
const TRANSIENT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
  // Configuration and credential faults: a deploy or a credential refresh fixes them, and a skip would
  // lose data that a retry keeps (the iterator-age alarm reports the wait).
  'AccessDeniedException',
  'UnrecognizedClientException',
  'ExpiredTokenException',
  'InvalidSignatureException',
  'RequestExpired',
  'ResourceNotFoundException',
]);

/** Node.js network error codes (`error.code`): the connection failed, the request may or may not have landed. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

interface AwsErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly $fault?: 'client' | 'server';
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/**
 * True unless the error is a service's answer, with an HTTP 4xx status, that the request is invalid
 * (`ValidationException` for an expression or item over DynamoDB's limits, `SerializationException`,
 * `ConditionalCheckFailedException`). Throttling (status 429 or a throttling name), 5xx, timeouts,
 * network errors, credential and permission faults, a missing table, and errors without an HTTP
 * status (not an AWS answer, or an answer the SDK could not read) are retryable. Pure.
 */
export const isRetryableAwsError = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return true;
  const e = error as AwsErrorShape;
  if (e.$retryable !== undefined) return true;
  if (e.name !== undefined && TRANSIENT_ERROR_NAMES.has(e.name)) return true;
  if (e.code !== undefined && NETWORK_ERROR_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  return !(status !== undefined && status >= 400 && status < 500);
};
