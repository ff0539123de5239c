import { parseScope } from '../names/keys';
import type { AggregateReader } from '../store/aggregate-reader';

/**
 * Task types active on some days, from the daily scope registry (`SC#<day>`, one small query per day)
 * rather than a scan. The registry lists a type on the days its executions started or finished, so a
 * type whose only executions were enqueued and never started is not found: name it with `--type`.
 */
export const taskTypesActive = async (
  reader: AggregateReader,
  days: readonly string[],
): Promise<string[]> => {
  const types = new Set<string>();
  const perDay = await Promise.all(days.map((day) => reader.listScopes(day)));
  for (const scopes of perDay) {
    for (const scope of scopes) {
      const { taskType, dimension } = parseScope(scope);
      if (dimension === undefined) types.add(taskType);
    }
  }
  return [...types].sort();
};
