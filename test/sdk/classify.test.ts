import { QueueDoesNotExist, RequestThrottled } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { classifySendError, isThrottling, sortBatchResult } from '../../sdk/src/classify';

const sdkError = (name: string, httpStatusCode?: number, fault: 'client' | 'server' = 'client') =>
  Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode } });

describe('classifySendError', () => {
  it('retries throttling, whatever its HTTP status', () => {
    const throttled = new RequestThrottled({ message: 'slow down', $metadata: { httpStatusCode: 400 } });

    expect(classifySendError(throttled)).toBe('retry');
    expect(classifySendError(sdkError('ThrottlingException', 400))).toBe('retry');
  });

  it('retries server faults and failures without a response', () => {
    expect(classifySendError(sdkError('InternalError', 500, 'server'))).toBe('retry');
    expect(
      classifySendError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBe('retry');
    expect(classifySendError('weird')).toBe('retry');
  });

  it('rejects client errors that will fail the same way every time', () => {
    const missing = new QueueDoesNotExist({ message: 'no queue', $metadata: { httpStatusCode: 400 } });

    expect(classifySendError(missing)).toBe('reject');
    expect(classifySendError(sdkError('AccessDenied', 403))).toBe('reject');
  });
});

describe('isThrottling', () => {
  it('knows the SQS and KMS throttling codes', () => {
    expect(isThrottling('RequestThrottled')).toBe(true);
    expect(isThrottling('KMS.ThrottlingException')).toBe(true);
    expect(isThrottling('InvalidMessageContents')).toBe(false);
    expect(isThrottling(undefined)).toBe(false);
  });
});

describe('sortBatchResult', () => {
  it('sorts entries into sent, retry (SQS fault, throttling) and rejected (sender fault)', () => {
    // Prepare
    const pending = ['a', 'b', 'c', 'd', 'e'];

    // Act
    const outcome = sortBatchResult(pending, {
      Successful: [{ Id: '0' }, { Id: '4' }],
      Failed: [
        { Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' },
        { Id: '2', SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad char' },
        { Id: '3', SenderFault: true, Code: 'RequestThrottled', Message: 'slow down' },
      ],
    });

    // Assess
    expect(outcome.sent).toEqual(['a', 'e']);
    expect(outcome.retry).toEqual(['b', 'd']);
    expect(outcome.rejected).toEqual(['c']);
    expect(outcome.failure).toEqual({ code: 'InternalError', message: 'try again' });
  });

  it('retries an entry the response does not mention', () => {
    const outcome = sortBatchResult(['a', 'b'], { Successful: [{ Id: '0' }] });

    expect(outcome.retry).toEqual(['b']);
  });
});
