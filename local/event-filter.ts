import type { FilterPattern } from './stack-types';

/**
 * Lambda event filtering (`FilterCriteria`), the subset local mode needs: a pattern is a tree of
 * objects whose leaves are lists of conditions; a record matches when every key of the pattern
 * matches. Conditions: a literal (string, number, boolean, null), `{ prefix }`, `{ suffix }`,
 * `{ 'equals-ignore-case' }`, `{ 'anything-but': value | list | { prefix } }` and `{ exists }`. A list value in the record matches when any element does. Pure.
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One condition against one (non-list) value that is present. */
const matchesCondition = (condition: unknown, value: unknown): boolean => {
  if (!isObject(condition)) return condition === value;
  if ('prefix' in condition) return typeof value === 'string' && value.startsWith(String(condition.prefix));
  if ('suffix' in condition) return typeof value === 'string' && value.endsWith(String(condition.suffix));
  if ('equals-ignore-case' in condition) {
    return (
      typeof value === 'string' &&
      value.toLowerCase() === String(condition['equals-ignore-case']).toLowerCase()
    );
  }
  if ('anything-but' in condition) {
    const but = condition['anything-but'];
    if (isObject(but)) return !matchesCondition(but, value);
    return !(Array.isArray(but) ? but : [but]).some((b) => b === value);
  }
  return false;
};

/** A list of conditions against a field of the record (absent: `undefined`). */
const matchesConditions = (conditions: readonly unknown[], value: unknown): boolean => {
  const present = value !== undefined;
  return conditions.some((condition) => {
    if (isObject(condition) && 'exists' in condition) return condition.exists === present;
    if (!present) return false;
    return Array.isArray(value)
      ? value.some((v) => matchesCondition(condition, v))
      : matchesCondition(condition, value);
  });
};

/** True when `record` matches `pattern`. */
export const matchesFilter = (pattern: FilterPattern, record: unknown): boolean =>
  Object.entries(pattern).every(([key, expected]) => {
    const value = isObject(record) ? record[key] : undefined;
    if (Array.isArray(expected)) return matchesConditions(expected, value);
    if (isObject(expected)) return isObject(value) && matchesFilter(expected, value);
    return matchesConditions([expected], value);
  });

/** True when `record` matches any of the patterns (or there are none, as with no FilterCriteria). */
export const matchesAnyFilter = (patterns: readonly FilterPattern[], record: unknown): boolean =>
  patterns.length === 0 || patterns.some((p) => matchesFilter(p, record));

/**
 * The shape an SQS record is filtered on: the same as the event record, except that a JSON body is
 * matched as an object (a body that is not JSON is matched as a string).
 */
export const sqsFilterView = (
  record: { body: string } & Record<string, unknown>,
): Record<string, unknown> => {
  try {
    return { ...record, body: JSON.parse(record.body) as unknown };
  } catch {
    return record;
  }
};
