import { mergeEvents } from '../../lambdas/domain/execution';
import type { IngestOutcome } from '../../lambdas/ingest/ingest-batch';
import type { TaskEvent } from '../../lambdas/shared/contract/event';

/**
 * The ingest outcome of a batch of events none of whose tasks was stored before: every event accepted,
 * one new execution per task (merged with the real `mergeEvents`), overridable field by field.
 */
export const outcomeOf = (
  accepted: readonly TaskEvent[],
  extra: Partial<IngestOutcome> = {},
): IngestOutcome => {
  const byTask = new Map<string, TaskEvent[]>();
  for (const e of accepted) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e]);
  const changes = [...byTask.values()].flatMap((events) => {
    const merged = mergeEvents(undefined, events);
    return merged.changed ? [{ before: undefined, after: merged.execution }] : [];
  });
  return {
    failedMessageIds: [],
    accepted: [...accepted],
    quarantined: [],
    duplicates: 0,
    executionsWritten: changes.length,
    changes,
    ...extra,
  };
};
