import { TASK_STATUSES } from '../../lambdas/shared/contract/event';
import type { JobTask, JobView } from '../../lambdas/shared/queries/job';
import { formatFields, formatTable } from './table';
import { formatDuration, formatRatio, formatTime, NONE, truncate } from './values';

/** Human output of `taskpulse job`: progress, counts, failed children and the task tree. Pure. */

/** The tree, one line per task indented under its parent: roots in creation order, children by taskId. */
const treeLines = (view: JobView): string[] => {
  const byId = new Map(view.tasks.map((t) => [t.taskId, t]));
  const lines: string[] = [];
  const seen = new Set<string>();
  const visit = (task: JobTask, depth: number) => {
    if (seen.has(task.taskId)) return; // a cycle in parentTaskId (a producer bug) is shown once
    seen.add(task.taskId);
    const time = task.finishedAt === null ? '' : `  ${formatDuration(task.runMs)}`;
    lines.push(`${'  '.repeat(depth)}${task.taskId}  ${task.taskType}  ${task.status}${time}`);
    for (const child of task.children) {
      const c = byId.get(child);
      if (c !== undefined) visit(c, depth + 1);
    }
  };
  for (const root of view.roots) visit(byId.get(root)!, 0);
  // Tasks only reachable through a cycle have no root: list them flat.
  for (const task of view.tasks) visit(task, 0);
  return lines;
};

/** The job view as text. */
export const formatJob = (view: JobView): string => {
  const counts = TASK_STATUSES.filter((s) => view.counts[s] > 0)
    .map((s) => `${s} ${view.counts[s]}`)
    .join(', ');
  const parts = [
    formatFields([
      ['job', view.jobId],
      [
        'progress',
        `${view.progress.finished}/${view.progress.total} finished (${formatRatio(view.progress.ratio)})`,
      ],
      ['by status', counts],
      ...(view.complete ? [] : [['note', `only the first ${view.tasks.length} tasks were read`] as const]),
    ]),
  ];
  if (view.failed.length > 0) {
    parts.push(
      `\nFailed:\n${formatTable(
        [
          { header: 'FINISHED' },
          { header: 'TASK ID' },
          { header: 'TASK TYPE' },
          { header: 'ERROR TYPE' },
          { header: 'MESSAGE' },
        ],
        view.failed.map((t) => [
          formatTime(t.finishedAt),
          t.taskId,
          t.taskType,
          t.errorType ?? NONE,
          truncate(t.errorMessage, 80),
        ]),
      )}`,
    );
  }
  parts.push(`\nTasks:\n${treeLines(view).join('\n')}`);
  return parts.join('\n');
};
