import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { EVENT_LIMITS } from '../../lambdas/shared/contract/limits';

/** Marks text cut to fit a contract limit. */
export const TRIM_MARKER = '…';

/** Error type reported when something other than an `Error` was thrown. */
export const NON_ERROR_TYPE = 'NonError';

/**
 * Cut `text` to at most `maxChars` UTF-16 units (what the contract counts), ending with `…` when cut
 * and never splitting a surrogate pair.
 */
export const trimText = (text: string, maxChars: number): string => {
  if (text.length <= maxChars) return text;
  if (maxChars <= 0) return '';
  let end = maxChars - TRIM_MARKER.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, Math.max(0, end)) + TRIM_MARKER;
};

const safeString = (value: unknown): string => {
  try {
    return typeof value === 'string' ? value : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
};

/**
 * The contract's `error` for whatever a task threw, trimmed to the contract limits: type from the
 * error's `name` (`NonError` for thrown non-errors), its message and stack. Never throws.
 */
export const describeError = (thrown: unknown): NonNullable<TaskEvent['error']> => {
  try {
    return describe(thrown);
  } catch {
    return { type: 'Error' };
  }
};

const describe = (thrown: unknown): NonNullable<TaskEvent['error']> => {
  if (thrown instanceof Error) {
    const name = safeString(thrown.name).trim() || thrown.constructor?.name || 'Error';
    const error: NonNullable<TaskEvent['error']> = {
      type: trimText(name, EVENT_LIMITS.maxErrorTypeChars),
      message: trimText(safeString(thrown.message), EVENT_LIMITS.maxErrorMessageChars),
    };
    const stack = typeof thrown.stack === 'string' ? thrown.stack : undefined;
    return stack ? { ...error, stack: trimText(stack, EVENT_LIMITS.maxStackChars) } : error;
  }
  return {
    type: NON_ERROR_TYPE,
    message: trimText(safeString(thrown), EVENT_LIMITS.maxErrorMessageChars),
  };
};
