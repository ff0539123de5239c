import { LocalModeError } from './errors';
import type { FilterPattern } from './stack-types';

/**
 * Lambda event filtering (`FilterCriteria`), as much as the stack's aggregator mapping uses: a pattern
 * is a tree of objects whose leaves are lists of conditions, and a record matches when every key of the
 * pattern matches. Conditions: a literal (string, number, boolean, null) or `{ prefix }`; any other
 * operator throws, so a pattern local mode would misread is noticed at the first record. Pure.
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One condition against one value of the record (a list value matches when any element does). */
const matchesCondition = (condition: unknown, value: unknown): boolean => {
  if (Array.isArray(value)) return value.some((v) => matchesCondition(condition, v));
  if (!isObject(condition)) return condition === value;
  if ('prefix' in condition) return typeof value === 'string' && value.startsWith(String(condition.prefix));
  const operator = Object.keys(condition).join(', ');
  throw new LocalModeError(`event filter operator ${operator} is not played locally`, {
    hint: 'add it to local/event-filter.ts',
  });
};

/** True when `record` matches `pattern` (a field the pattern names and the record lacks never matches). */
export const matchesFilter = (pattern: FilterPattern, record: unknown): boolean =>
  Object.entries(pattern).every(([key, expected]) => {
    const value = isObject(record) ? record[key] : undefined;
    if (isObject(expected)) return isObject(value) && matchesFilter(expected, value);
    return value !== undefined && (expected as unknown[]).some((c) => matchesCondition(c, value));
  });

/** True when `record` matches any of the patterns (or there are none, as with no FilterCriteria). */
export const matchesAnyFilter = (patterns: readonly FilterPattern[], record: unknown): boolean =>
  patterns.length === 0 || patterns.some((p) => matchesFilter(p, record));
