import { describe, expect, it } from 'vitest';
import { TaskpulseConfigError } from '../../sdk/src/errors';
import { DEFAULT_OPTIONS, defaultSource, resolveOptions, toSourceName } from '../../sdk/src/options';

const queueUrl = 'http://127.0.0.1:5000/123456789012/events';

describe('resolveOptions', () => {
  it('applies the documented defaults', () => {
    const resolved = resolveOptions({ queueUrl, source: 'w' }, {});

    expect(resolved).toEqual({
      queueUrl,
      source: 'w',
      maxBatchSize: 10,
      flushIntervalMs: DEFAULT_OPTIONS.flushIntervalMs,
      maxBufferSize: DEFAULT_OPTIONS.maxBufferSize,
      maxInFlightRequests: DEFAULT_OPTIONS.maxInFlightRequests,
      maxRetries: DEFAULT_OPTIONS.maxRetries,
      retryBaseDelayMs: DEFAULT_OPTIONS.retryBaseDelayMs,
      retryMaxDelayMs: DEFAULT_OPTIONS.retryMaxDelayMs,
    });
  });

  it('reads the queue URL and source from the environment, options first', () => {
    const env = { TASKPULSE_QUEUE_URL: queueUrl, TASKPULSE_SOURCE: 'billing worker' };

    expect(resolveOptions({}, env)).toMatchObject({ queueUrl, source: 'billing-worker' });
    expect(resolveOptions({ queueUrl: 'other', source: 'mine' }, env)).toMatchObject({
      queueUrl: 'other',
      source: 'mine',
    });
  });

  it('fails fast without a queue URL, saying how to set one', () => {
    expect(() => resolveOptions({}, {})).toThrow(TaskpulseConfigError);
    expect(() => resolveOptions({}, {})).toThrow(/TASKPULSE_QUEUE_URL/);
  });

  it('refuses a batch size SQS would refuse', () => {
    expect(() => resolveOptions({ queueUrl, maxBatchSize: 11 }, {})).toThrow(
      /maxBatchSize must be an integer from 1 to 10/,
    );
    expect(() => resolveOptions({ queueUrl, maxBufferSize: 0 }, {})).toThrow(TaskpulseConfigError);
  });
});

describe('defaultSource', () => {
  it('prefers TASKPULSE_SOURCE, then the Lambda function name', () => {
    expect(defaultSource({ TASKPULSE_SOURCE: 'svc', AWS_LAMBDA_FUNCTION_NAME: 'fn' })).toBe('svc');
    expect(defaultSource({ AWS_LAMBDA_FUNCTION_NAME: 'fn' })).toBe('fn');
    expect(defaultSource({}).length).toBeGreaterThan(0);
  });

  it('makes any name a valid source', () => {
    expect(toSourceName('my host ü')).toBe('my-host--');
    expect(toSourceName('')).toBe('unknown');
    expect(toSourceName('x'.repeat(300))).toHaveLength(128);
  });
});
