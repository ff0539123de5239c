import type { TaskEvent } from '../../../lambdas/shared/contract/event';
import { makeLifecycle } from '../../support/events';

const at = (iso: string) => Date.parse(iso);
const MIN = 60_000;

/**
 * `count` runs of a task type spread evenly over `[fromIso, fromIso + spanMin)`; the runs whose index is
 * in `failing` fail (with a TimeoutError, or a ValidationError for every third failure).
 */
export const runs = (
  taskType: string,
  fromIso: string,
  spanMin: number,
  count: number,
  failing: (i: number) => boolean = () => false,
): { events: TaskEvent[]; failedIds: string[] } => {
  const events: TaskEvent[] = [];
  const failedIds: string[] = [];
  let failures = 0;
  for (let i = 0; i < count; i++) {
    const fails = failing(i);
    const taskId = `${taskType}-${fromIso.slice(11, 16).replace(':', '')}-${i}`;
    if (fails) failedIds.push(taskId);
    events.push(
      ...makeLifecycle({
        taskId,
        taskType,
        startMs: at(fromIso) + Math.floor((i * spanMin * MIN) / count),
        runMs: 1_000,
        outcome: fails ? 'failed' : 'succeeded',
        error:
          fails && failures++ % 3 === 2
            ? { type: 'ValidationError', message: 'amount must be positive' }
            : { type: 'TimeoutError', message: 'upstream did not answer within 30 s' },
      }),
    );
  }
  return { events, failedIds };
};
