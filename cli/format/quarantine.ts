import type { QuarantineItem, QuarantineItemWithBody } from '../../lambdas/shared/queries/quarantine';
import type { ReplayStep } from '../ops/replay';
import { formatFields, formatTable } from './table';
import { formatInteger, formatTime, NONE, truncate } from './values';

/** Human output of `quarantine list`, `show` and `replay`. Pure. */

const REASON_CHARS = 70;

const producerOf = (i: QuarantineItem): string => i.source ?? NONE;

/** The `quarantine list` table. */
export const formatQuarantineList = (items: readonly QuarantineItem[]): string => {
  if (items.length === 0) return 'nothing quarantined in this range';
  return formatTable(
    [
      { header: 'SENT' },
      { header: 'REASON' },
      { header: 'PRODUCER' },
      { header: 'TASK ID' },
      { header: 'DETAIL' },
      { header: 'REPLAYED' },
      { header: 'ID' },
    ],
    items.map((i) => [
      formatTime(i.sentAt),
      i.code,
      producerOf(i),
      i.taskId ?? NONE,
      truncate(i.reason, REASON_CHARS),
      formatTime(i.replayedAt),
      i.id,
    ]),
  );
};

/** Counts per reason code, most frequent first: `schema ×3, clock ×1`. */
export const formatReasonCounts = (items: readonly QuarantineItem[]): string => {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.code, (counts.get(i.code) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, n]) => `${code} ×${n}`)
    .join(', ');
};

/** Pretty-print a body when it is JSON, else show it as stored. */
const bodyText = (body: string): string => {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
};

/** `quarantine show`: every field, the details the ingest stored, the contract's verdict now, the body. */
export const formatQuarantineItem = (
  item: QuarantineItemWithBody,
  verdictNow: { readonly code: string; readonly reason: string } | null,
): string => {
  const details = Object.entries(item.details);
  const fields = formatFields([
    ['id', item.id],
    ['message id', item.messageId],
    ['sent', formatTime(item.sentAt)],
    ['quarantined', formatTime(item.receivedAt)],
    ['reason', `${item.code}: ${item.reason}`],
    ['producer', producerOf(item)],
    ['task', item.taskId === null ? NONE : `${item.taskId} (${item.taskType ?? NONE})`],
    ['event id', item.eventId ?? NONE],
    [
      'body',
      `${formatInteger(item.bodyBytes)} bytes${item.truncated ? ' (cut: only the start is kept, it cannot be replayed as is)' : ''}`,
    ],
    [
      'replayed',
      item.replayedAt === null ? 'no' : `${formatTime(item.replayedAt)} as ${item.replayedMessageId}`,
    ],
    [
      'now',
      verdictNow === null
        ? 'the body passes the event contract now'
        : `still rejected: ${verdictNow.code}: ${verdictNow.reason}`,
    ],
  ]);
  const detailLines =
    details.length === 0
      ? ''
      : `\n\nDetails\n${formatFields(details.map(([k, v]) => [k, JSON.stringify(v)]))}`;
  return `${fields}${detailLines}\n\nBody\n${bodyText(item.body)}`;
};

const actionText = (step: ReplayStep): string => {
  switch (step.action) {
    case 'send':
      return step.rejection === null
        ? step.edited
          ? 'send (edited body)'
          : 'send'
        : `send anyway (still ${step.rejection.code})`;
    case 'truncated':
      return 'skip: body was cut, pass --body-file';
    case 'invalid':
      return `skip: still ${step.rejection?.code ?? 'rejected'}: ${truncate(step.rejection?.reason, 50)}`;
    case 'replayed':
      return `skip: replayed ${formatTime(step.item.replayedAt)} (--again to resend)`;
  }
};

/** The replay plan table (what a dry run prints, and what `--yes` did). */
export const formatReplayPlan = (steps: readonly ReplayStep[]): string =>
  formatTable(
    [{ header: 'SENT' }, { header: 'REASON' }, { header: 'TASK ID' }, { header: 'ACTION' }, { header: 'ID' }],
    steps.map((s) => [
      formatTime(s.item.sentAt),
      s.item.code,
      s.item.taskId ?? NONE,
      actionText(s),
      s.item.id,
    ]),
  );
