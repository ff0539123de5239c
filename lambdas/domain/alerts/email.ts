import { formatCount, formatDurationMs, formatUtc, toSubject } from '../../shared/format';
import { wordsOf } from '../rules/registry';
import { NOTIFICATION_KIND } from '../rules/rule';
import { historyCommandOf, ruleDescriptionOf, scopeLabel, summaryOf } from './describe';
import { type AlertNotification, stateOfKind } from './notification';

/**
 * The plain-text email a person can act on: what fired, the window, the counts, the top error types
 * with a sample message, a few task IDs, since when, a runbook line and how to look at the history.
 */

/** SNS subject limit. */
const MAX_SUBJECT_CHARS = 100;
/** Task IDs listed in an email (the JSON document carries more). */
const EMAIL_TASK_IDS = 10;

/** `[ALARM] send_invoice failure rate 34.5% > 20% (last 1h)`: ASCII, at most 100 characters. */
export const renderSubject = (n: AlertNotification): string =>
  toSubject(
    `[${n.kind}] ${scopeLabel(n.evaluation.scope)} ${summaryOf(n.evaluation, stateOfKind(n.kind))}`,
    MAX_SUBJECT_CHARS,
  );

const opening = (n: AlertNotification): string => {
  const what = `${n.evaluation.rule} on ${scopeLabel(n.evaluation.scope)}`;
  switch (n.kind) {
    case NOTIFICATION_KIND.alarm:
      return `ALARM: ${what} started firing.`;
    case NOTIFICATION_KIND.reminder:
      return `REMINDER: ${what} is still firing.`;
    case NOTIFICATION_KIND.flapping:
      return `FLAPPING: ${what} keeps changing state; it is held in ALARM until it stays good.`;
    case NOTIFICATION_KIND.ok:
      return `OK: ${what} recovered.`;
  }
};

const taskIdLines = (n: AlertNotification): string[] =>
  wordsOf(n.evaluation)
    .taskIdLines.slice(0, EMAIL_TASK_IDS)
    .map((line) => `  ${line}`);

/** The email text. */
export const renderEmail = (n: AlertNotification): string => {
  const e = n.evaluation;
  const words = wordsOf(e);
  const state = stateOfKind(n.kind);
  const nowMs = e.evaluatedAtMs;
  const sinceMs = Date.parse(n.firingSince);
  const lines: string[] = [opening(n), ''];
  lines.push(`What:     ${scopeLabel(e.scope)} ${summaryOf(e, state)}`);
  lines.push(`Rule:     ${e.rule} (${e.severity}); ${ruleDescriptionOf(e)}`);
  lines.push(`Window:   ${formatUtc(e.windowStartMs)} to ${formatUtc(e.windowEndMs)}`);
  lines.push(`Counts:   ${words.countsLine}`);
  lines.push(
    state === 'OK'
      ? `Since:    recovered at ${formatUtc(nowMs)}; it had been firing since ${formatUtc(sinceMs)} (${formatDurationMs(nowMs - sinceMs)})`
      : `Since:    ${formatUtc(sinceMs)} (${nowMs - sinceMs < 60_000 ? 'just started' : `firing for ${formatDurationMs(nowMs - sinceMs)}`})`,
  );
  lines.push(
    `Stage:    ${n.stage}${n.deployment?.stackName === undefined ? '' : ` (stack ${n.deployment.stackName})`}`,
  );
  if (e.topErrors.length > 0) {
    lines.push('', 'Top error types:');
    for (const err of e.topErrors)
      lines.push(
        `  ${err.type} (${formatCount(err.count)})${err.sample === null ? '' : `: "${err.sample}"`}`,
      );
  }
  const ids = taskIdLines(n);
  if (ids.length > 0) {
    const total = words.taskIdLines.length;
    lines.push(
      '',
      `${words.taskIdsTitle}${total > ids.length ? ` (${ids.length} of ${total})` : ''}:`,
      ...ids,
    );
  }
  lines.push('', `Runbook:  ${n.runbook ?? 'none configured (deploy with -c runbookUrl=https://...)'}`);
  if (n.deployment?.dashboardUrl !== undefined) lines.push(`Dashboard: ${n.deployment.dashboardUrl}`);
  if (n.deployment?.logsUrl !== undefined) lines.push(`Logs:     ${n.deployment.logsUrl}`);
  lines.push('', 'Look at the history:', `  ${historyCommandOf(e, n.deployment?.stackName)}`);
  lines.push('', '--');
  const reminders =
    n.reminderIntervalMs === null
      ? 'no reminders'
      : `a reminder every ${formatDurationMs(n.reminderIntervalMs)}`;
  lines.push(
    `Taskpulse sends one message when an alert starts firing, ${reminders} while it fires, and one when it recovers.`,
  );
  lines.push(
    `Alert id ${n.id}; rule ${e.rule}; scope ${e.scope}; evaluated ${new Date(nowMs).toISOString()}.`,
  );
  return lines.join('\n');
};
