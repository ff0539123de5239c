import type { TaskStatus } from '../../shared/contract/event';
import { parseScope } from '../../shared/names/keys';
import type { Execution } from '../execution';

/**
 * The few fields of an execution the rules need to list runs (stuck runs, example task IDs), derived
 * from the stored execution by `RunLookup`.
 */
export interface RunSummary {
  readonly taskId: string;
  readonly taskType: string;
  readonly status: TaskStatus;
  readonly attempt: number;
  readonly createdAt: string;
  readonly firstStartedAt?: string;
  /** Start of the final attempt. */
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly runMs?: number;
  readonly errorType?: string;
  readonly errorMessage?: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

/** The summary of an execution (its derived view, without events). Pure. */
export const runSummaryOf = (x: Execution): RunSummary => ({
  taskId: x.taskId,
  taskType: x.taskType,
  status: x.status,
  attempt: x.attempt,
  createdAt: x.createdAt,
  ...(x.firstStartedAt !== undefined && { firstStartedAt: x.firstStartedAt }),
  ...(x.startedAt !== undefined && { startedAt: x.startedAt }),
  ...(x.finishedAt !== undefined && { finishedAt: x.finishedAt }),
  ...(x.runMs !== undefined && { runMs: x.runMs }),
  ...(x.error?.type !== undefined && { errorType: x.error.type }),
  ...(x.error?.message !== undefined && { errorMessage: x.error.message }),
  dimensions: x.dimensions,
});

/** True when a run belongs to a scope (its task type, and its dimension value if the scope has one). */
export const inScope = (run: RunSummary, scope: string): boolean => {
  const { taskType, dimension } = parseScope(scope);
  if (run.taskType !== taskType) return false;
  return dimension === undefined || run.dimensions[dimension.key] === dimension.value;
};

/** When the run's current attempt started (the final attempt, else the first start). */
export const attemptStartOf = (run: RunSummary): string | undefined => run.startedAt ?? run.firstStartedAt;

/**
 * True for a run that started at least `timeoutMs` before `nowMs` and has no terminal event. Every such
 * run counts on its own, whatever other runs of the type do.
 */
export const isStuck = (run: RunSummary, nowMs: number, timeoutMs: number): boolean => {
  const started = attemptStartOf(run);
  return run.finishedAt === undefined && started !== undefined && nowMs - Date.parse(started) >= timeoutMs;
};
