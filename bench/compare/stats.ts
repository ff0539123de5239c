import type { TaskEvent } from '../../lambdas/shared/contract/event';
import { dayOf } from '../../lambdas/shared/names/keys';

/**
 * The per-type daily stats both baselines keep, and the rule they count an event by: what a team
 * writes when it counts per event instead of per execution. On a stream whose tasks each send one
 * `started` of attempt 1 and at most one terminal event, counting those events gives the oracle's
 * execution counts, in any order, provided each event is counted once (the baselines' job).
 */

/** Counters of one task type on one UTC day (the fields the oracle's rollups are checked on). */
export interface DailyStats {
  /** Executions that finished that day. */
  total: number;
  byStatus: { succeeded: number; failed: number; cancelled: number };
  /** Finished executions that needed more than one attempt. */
  retried: number;
  /** Executions whose first attempt started that day. */
  started: number;
}

export const emptyStats = (): DailyStats => ({
  total: 0,
  byStatus: { succeeded: 0, failed: 0, cancelled: 0 },
  retried: 0,
  started: 0,
});

/** Whether an event changes the stats (so a baseline can skip the read-modify-write). Pure. */
export const countsInStats = (event: TaskEvent): boolean =>
  (event.status === 'started' && event.attempt === 1) ||
  event.status === 'succeeded' ||
  event.status === 'failed' ||
  event.status === 'cancelled';

/** The stats after counting one event (a new object). Pure. */
export const countEvent = (stats: DailyStats, event: TaskEvent): DailyStats => {
  const next: DailyStats = { ...stats, byStatus: { ...stats.byStatus } };
  if (event.status === 'started' && event.attempt === 1) next.started++;
  if (event.status === 'succeeded' || event.status === 'failed' || event.status === 'cancelled') {
    next.total++;
    next.byStatus[event.status]++;
    if (event.attempt > 1) next.retried++;
  }
  return next;
};

/** Where an event is counted: its task type and the UTC day it happened. */
export const statsTargetOf = (event: TaskEvent): { taskType: string; day: string } => ({
  taskType: event.taskType,
  day: dayOf(event.occurredAt),
});

/** Key of a day's stats of a type in the maps the oracle check takes: `<day>\n<taskType>`. */
export const statsMapKey = (day: string, taskType: string): string => `${day}\n${taskType}`;
