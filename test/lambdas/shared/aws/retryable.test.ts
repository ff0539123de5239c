import { describe, expect, it } from 'vitest';
import { isRetryableAwsError } from '../../../../lambdas/shared/aws/retryable';
import { UnprocessedError } from '../../../../lambdas/shared/errors';

/** An error shaped like the SDK's service exceptions. */
const awsError = (name: string, fault: 'client' | 'server', httpStatusCode: number) =>
  Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode } });

describe('isRetryableAwsError', () => {
  it.each([
    ['throttling', awsError('ProvisionedThroughputExceededException', 'client', 400)],
    ['request limit', awsError('RequestLimitExceeded', 'client', 400)],
    ['any 429', awsError('SlowDown', 'client', 429)],
    ['a 5xx', awsError('InternalServerError', 'server', 500)],
    ['an unnamed 503', awsError('Whatever', 'server', 503)],
    ['an SDK timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['a connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['an error the SDK marked retryable', Object.assign(awsError('X', 'client', 400), { $retryable: {} })],
    ['an error that is no AWS answer', new TypeError('fetch failed')],
    [
      'an answer the SDK could not read',
      Object.assign(new SyntaxError('Unexpected end of JSON'), {
        $fault: 'client',
        $metadata: { httpStatusCode: 200 },
      }),
    ],
    [
      'throttling without a status',
      Object.assign(new Error('slow down'), { name: 'ThrottlingException', $fault: 'client', $metadata: {} }),
    ],
    ['a missing grant (fixed by a deploy)', awsError('AccessDeniedException', 'client', 400)],
    ['a missing table', awsError('ResourceNotFoundException', 'client', 400)],
    ['expired credentials', awsError('ExpiredTokenException', 'client', 400)],
    [
      'a reset wrapped as cause',
      new Error('request failed', { cause: Object.assign(new Error('x'), { code: 'EPIPE' }) }),
    ],
    ['items DynamoDB left unprocessed after retries', new UnprocessedError('2 items left')],
  ])('retries %s', (_, error) => {
    expect(isRetryableAwsError(error)).toBe(true);
  });

  it.each([
    ['an expression over 4 KB', awsError('ValidationException', 'client', 400)],
    ['an item over 400 KB', awsError('ValidationException', 'client', 400)],
    ['a body DynamoDB cannot read', awsError('SerializationException', 'client', 400)],
    ['a failed condition', awsError('ConditionalCheckFailedException', 'client', 400)],
  ])('does not retry %s', (_, error) => {
    expect(isRetryableAwsError(error)).toBe(false);
  });
});
