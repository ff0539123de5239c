import { describe, expect, it } from 'vitest';
import { isRetryableAwsError } from '../../../../lambdas/shared/aws/retryable';
import { UnprocessedError } from '../../../../lambdas/shared/errors';

/** An error shaped like the AWS SDK v3 builds it from a service response. */
const serviceError = (name: string, httpStatusCode: number, fault: 'client' | 'server' = 'client') =>
  Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode } });

describe('isRetryableAwsError', () => {
  it.each([
    ['throttling', serviceError('ThrottlingException', 400)],
    ['throughput exceeded', serviceError('ProvisionedThroughputExceededException', 400)],
    ['request limit', serviceError('RequestLimitExceeded', 400)],
    ['HTTP 429', serviceError('SomethingNew', 429)],
    ['a 5xx', serviceError('InternalServerError', 500, 'server')],
    ['an unknown 503', serviceError('Whatever', 503, 'server')],
    ['an SDK timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['a connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    [
      'a reset wrapped as cause',
      new Error('request failed', { cause: Object.assign(new Error('x'), { code: 'EPIPE' }) }),
    ],
    [
      'an error the SDK marks retryable',
      Object.assign(new Error('x'), { $retryable: { throttling: false } }),
    ],
    ['unprocessed items after retries', new UnprocessedError('2 items left')],
  ])('is true for %s', (_, error) => {
    expect(isRetryableAwsError(error)).toBe(true);
  });

  it.each([
    ['a validation error', serviceError('ValidationException', 400)],
    ['a failed condition', serviceError('ConditionalCheckFailedException', 400)],
    ['access denied', serviceError('AccessDeniedException', 400)],
    ['a missing table', serviceError('ResourceNotFoundException', 400)],
    ['a value the marshaller refuses', new Error('Special numeric value Infinity is not allowed')],
    ['not an error at all', 'boom'],
    ['undefined', undefined],
  ])('is false for %s', (_, error) => {
    expect(isRetryableAwsError(error)).toBe(false);
  });
});
