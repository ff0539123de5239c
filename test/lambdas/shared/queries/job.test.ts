import { describe, expect, it } from 'vitest';
import type { TaskStatus } from '../../../../lambdas/shared/contract/event';
import { type JobExecution, toJobView } from '../../../../lambdas/shared/queries/job';

/** An execution of a job (the fields the view shows). */
const item = (taskId: string, status: TaskStatus, extra: Partial<JobExecution> = {}): JobExecution => ({
  taskId,
  taskType: 'import',
  status,
  attempt: 1,
  createdAt: `2026-03-02T10:00:0${taskId.length % 10}.000Z`,
  ...extra,
});

describe('toJobView', () => {
  it('counts every status, and progress is finished over total', () => {
    const view = toJobView('j', [
      item('a', 'succeeded'),
      item('b', 'failed', { finishedAt: '2026-03-02T10:01:00.000Z', error: { type: 'E', message: 'm' } }),
      item('c', 'cancelled'),
      item('d', 'retrying'),
    ]);

    expect(view.counts).toEqual({
      enqueued: 0,
      started: 0,
      retrying: 1,
      succeeded: 1,
      failed: 1,
      cancelled: 1,
    });
    expect(view.progress).toEqual({ finished: 3, total: 4, ratio: 0.75 });
    expect(view.failed).toEqual([
      expect.objectContaining({ taskId: 'b', errorType: 'E', errorMessage: 'm' }),
    ]);
  });

  it('makes a task whose parent is outside the job a root, so every task is in the tree', () => {
    const view = toJobView('j', [
      item('child', 'started', { parentTaskId: 'elsewhere' }),
      item('root', 'started'),
    ]);

    expect([...view.roots].sort()).toEqual(['child', 'root']);
  });

  it('lists children under their parent, sorted', () => {
    const view = toJobView('j', [
      item('p', 'started'),
      item('z', 'started', { parentTaskId: 'p' }),
      item('y', 'started', { parentTaskId: 'p' }),
    ]);

    expect(view.roots).toEqual(['p']);
    expect(view.tasks.find((t) => t.taskId === 'p')?.children).toEqual(['y', 'z']);
  });
});
