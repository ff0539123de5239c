import type { AlertRow } from '../../lambdas/shared/queries/alerts';
import { formatTable } from './table';
import { formatTime, NONE } from './values';

/** Human output of `alerts`. Pure. */
export const formatAlerts = (rows: readonly AlertRow[]): string => {
  if (rows.length === 0)
    return 'no alert states: the monitor writes one per rule and task type when it first evaluates them';
  const firing = rows.filter((r) => r.status === 'ALARM').length;
  const table = formatTable(
    [
      { header: 'STATUS' },
      { header: 'RULE' },
      { header: 'SCOPE' },
      { header: 'SINCE' },
      { header: 'LAST NOTIFICATION' },
      { header: 'EVALUATED' },
    ],
    rows.map((r) => [
      `${r.status}${r.flapping ? ' (flapping)' : ''}`,
      r.rule,
      r.scope,
      formatTime(r.since),
      r.lastNotification === null
        ? NONE
        : `${r.lastNotification} ${formatTime(r.lastNotifiedAt)}${r.pendingNotification ? ' (sending)' : ''}`,
      formatTime(r.evaluatedAt),
    ]),
  );
  return `${table}\n\n${firing} firing, ${rows.length - firing} ok`;
};
