import type { ExecutionView } from '../../lambdas/shared/queries/execution';
import type { ExecutionPage } from '../../lambdas/shared/queries/executions';
import type { TailEvent } from '../ops/tail';
import { formatFields, formatTable } from './table';
import { formatDuration, formatLabels, formatTime, NONE, truncate } from './values';

/** Human output of execution lists (`history`, `failures`), one execution (`show`) and `tail` lines. Pure. */

const MESSAGE_CHARS = 60;

const errorOf = (type: string | null, message: string | null): string =>
  type === null ? NONE : message === null ? type : `${type}: ${truncate(message, MESSAGE_CHARS)}`;

/** The `history` table. */
export const formatHistory = (page: ExecutionPage): string => {
  const timeHeader = page.orderedBy === 'finishedAt' ? 'FINISHED' : 'CREATED';
  const table = formatTable(
    [
      { header: timeHeader },
      { header: 'TASK ID' },
      { header: 'TASK TYPE' },
      { header: 'STATUS' },
      { header: 'ATTEMPT', align: 'right' },
      { header: 'RUN', align: 'right' },
      { header: 'ERROR' },
    ],
    page.items.map((r) => [
      formatTime(page.orderedBy === 'finishedAt' ? r.finishedAt : r.createdAt),
      r.taskId,
      r.taskType,
      r.status,
      String(r.attempt),
      formatDuration(r.runMs),
      errorOf(r.errorType, r.errorMessage),
    ]),
  );
  return page.items.length === 0 ? 'no executions match' : table;
};

/** The `failures` table. */
export const formatFailures = (page: ExecutionPage): string => {
  if (page.items.length === 0) return 'no failed executions';
  return formatTable(
    [
      { header: 'FINISHED' },
      { header: 'TASK TYPE' },
      { header: 'TASK ID' },
      { header: 'ATTEMPT', align: 'right' },
      { header: 'RUN', align: 'right' },
      { header: 'ERROR TYPE' },
      { header: 'MESSAGE' },
    ],
    page.items.map((r) => [
      formatTime(r.finishedAt),
      r.taskType,
      r.taskId,
      String(r.attempt),
      formatDuration(r.runMs),
      r.errorType ?? NONE,
      truncate(r.errorMessage, 80),
    ]),
  );
};

/** The line that tells how to get the next page, or nothing on the last page. */
export const nextPageHint = (next: string | null): string | undefined =>
  next === null ? undefined : `next page: repeat the command with --next ${next}`;

/** `show`: fields, attempts, the event timeline and the error's stack. */
export const formatExecution = (view: ExecutionView): string => {
  const x = view.execution;
  const fields = formatFields([
    ['Task', x.taskId],
    ['Type', x.taskType],
    ['Status', `${x.status} (attempt ${x.attempt})`],
    ['Created', formatTime(x.createdAt)],
    ['Enqueued', x.enqueuedAt === null ? undefined : formatTime(x.enqueuedAt)],
    ['Started', x.startedAt === null ? undefined : formatTime(x.startedAt)],
    ['Finished', x.finishedAt === null ? undefined : formatTime(x.finishedAt)],
    ['Wait', x.waitMs === null ? undefined : formatDuration(x.waitMs)],
    ['Run', x.runMs === null ? undefined : formatDuration(x.runMs)],
    ['Source', x.source],
    ['Job', x.jobId ?? undefined],
    ['Parent', x.parentTaskId ?? undefined],
    ['Dimensions', Object.keys(x.dimensions).length === 0 ? undefined : formatLabels(x.dimensions)],
    ['Metrics', Object.keys(x.metrics).length === 0 ? undefined : formatLabels(x.metrics)],
    ['Params', x.params === null ? undefined : JSON.stringify(x.params)],
    ['Error', x.error === null ? undefined : errorOf(x.error.type, x.error.message)],
  ]);
  const attempts = formatTable(
    [
      { header: 'ATTEMPT', align: 'right' },
      { header: 'STATUS' },
      { header: 'STARTED' },
      { header: 'ENDED' },
      { header: 'DURATION', align: 'right' },
      { header: 'ERROR' },
    ],
    view.attempts.map((a) => [
      String(a.attempt),
      a.status,
      formatTime(a.startedAt),
      formatTime(a.endedAt),
      formatDuration(a.durationMs),
      errorOf(a.errorType, a.errorMessage),
    ]),
  );
  const events = formatTable(
    [
      { header: 'TIME' },
      { header: 'STATUS' },
      { header: 'ATTEMPT', align: 'right' },
      { header: 'DURATION', align: 'right' },
      { header: 'ERROR' },
      { header: 'SOURCE' },
      { header: 'EVENT ID' },
    ],
    view.events.map((e) => [
      `${e.occurredAt.slice(0, 10)} ${e.occurredAt.slice(11, 23)}`,
      e.status,
      String(e.attempt),
      formatDuration(e.durationMs),
      errorOf(e.errorType, e.errorMessage),
      e.source,
      e.eventId,
    ]),
  );
  const stack = x.error?.stack ?? null;
  return [
    fields,
    '',
    'Attempts',
    attempts,
    '',
    'Events',
    events,
    ...(stack === null ? [] : ['', 'Stack', ...stack.split('\n').map((l) => `  ${l}`)]),
  ].join('\n');
};

/** One `tail` line: time, task type, task id, status, attempt, duration, error. */
export const formatTailLine = (e: TailEvent): string =>
  [
    `${e.occurredAt.slice(0, 10)} ${e.occurredAt.slice(11, 23)}`,
    e.taskType.padEnd(16),
    e.taskId.padEnd(24),
    e.status.padEnd(9),
    `#${e.attempt}`.padEnd(3),
    formatDuration(e.durationMs).padStart(7),
    errorOf(e.errorType, e.errorMessage),
  ]
    .join('  ')
    .trimEnd();
