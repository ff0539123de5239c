import { describe, expect, it } from 'vitest';
import { errorSchema } from '../../lambdas/shared/contract/event';
import { EVENT_LIMITS } from '../../lambdas/shared/contract/limits';
import { describeError, NON_ERROR_TYPE, TRIM_MARKER, trimText } from '../../sdk/src/trim';

describe('trimText', () => {
  it('leaves text within the limit alone', () => {
    expect(trimText('hello', 5)).toBe('hello');
  });

  it('cuts to exactly the limit, ending with the marker', () => {
    const trimmed = trimText('x'.repeat(50), 10);

    expect(trimmed).toHaveLength(10);
    expect(trimmed.endsWith(TRIM_MARKER)).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    // Prepare: the cut would fall between the two halves of 😀
    const text = 'ab😀cdef';

    // Act
    const trimmed = trimText(text, 4);

    // Assess
    expect(trimmed).toBe('ab' + TRIM_MARKER);
    expect(trimmed.length).toBeLessThanOrEqual(4);
  });
});

describe('describeError', () => {
  it('keeps name, message and stack of an ordinary error', () => {
    const error = new RangeError('out of range');

    const described = describeError(error);

    expect(described).toEqual({ type: 'RangeError', message: 'out of range', stack: error.stack });
  });

  it('trims every field to the contract limits so the schema accepts it', () => {
    // Prepare
    const error = new Error('m'.repeat(10_000));
    error.name = 'N'.repeat(500);
    error.stack = 's'.repeat(100_000);

    // Act
    const described = describeError(error);

    // Assess
    expect(described.type).toHaveLength(EVENT_LIMITS.maxErrorTypeChars);
    expect(described.message).toHaveLength(EVENT_LIMITS.maxErrorMessageChars);
    expect(described.stack).toHaveLength(EVENT_LIMITS.maxStackChars);
    expect(errorSchema.safeParse(described).success).toBe(true);
  });

  it('describes thrown non-errors', () => {
    expect(describeError('boom')).toEqual({ type: NON_ERROR_TYPE, message: 'boom' });
    expect(describeError(undefined)).toEqual({ type: NON_ERROR_TYPE, message: 'undefined' });
  });

  it('falls back to the class name when name is empty, and never throws', () => {
    class QuotaError extends Error {}
    const unnamed = new QuotaError('quota');
    unnamed.name = '';
    const hostile = new Error('x');
    Object.defineProperty(hostile, 'message', {
      get() {
        throw new Error('getter');
      },
    });

    expect(describeError(unnamed).type).toBe('QuotaError');
    expect(describeError(hostile)).toEqual({ type: 'Error' });
  });
});
