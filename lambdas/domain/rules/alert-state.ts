import type { AlertPolicy } from './config';
import type { RuleName } from './registry';
import { ALERT_STATUS, type AlertStatus, NOTIFICATION_KIND, type NotificationKind } from './rule';

/**
 * The alert state machine: one state per rule × scope, moved by each evaluation. Alerts are state
 * changes, not a message per evaluation:
 *
 * - OK → ALARM as soon as the rule fires (notification ALARM);
 * - ALARM stays while it fires; a REMINDER goes out every `reminderIntervalMs` since the last message;
 * - ALARM → OK after `recoveryEvaluations` good evaluations in a row (notification OK);
 * - flapping damping: at most `maxStateChangesPerHour` changes in any hour. A recovery that would
 *   leave no room for another ALARM within the hour is held: the alert stays in ALARM and says
 *   FLAPPING once; it recovers when the hour's changes have aged out and it is still good. Holding
 *   ALARM (rather than OK) means damping can delay an all-clear but never hide a problem.
 */

const HOUR_MS = 3_600_000;

/** Stored per rule × scope. */
export interface AlertState {
  readonly rule: RuleName;
  readonly scope: string;
  readonly status: AlertStatus;
  /** When the current status began (UTC ISO). */
  readonly since: string;
  /** Good evaluations in a row while in ALARM. */
  readonly goodStreak: number;
  /** Status changes within the last hour (UTC ISO, oldest first). */
  readonly changes: readonly string[];
  /** True once FLAPPING was said for the current ALARM. */
  readonly flapping: boolean;
  readonly lastNotifiedAt: string | null;
  readonly lastNotification: NotificationKind | null;
  readonly evaluatedAt: string;
}

/** The state a rule × scope starts in: OK, never notified. */
export const initialAlertState = (rule: RuleName, scope: string, nowMs: number): AlertState => ({
  rule,
  scope,
  status: ALERT_STATUS.ok,
  since: new Date(nowMs).toISOString(),
  goodStreak: 0,
  changes: [],
  flapping: false,
  lastNotifiedAt: null,
  lastNotification: null,
  evaluatedAt: new Date(nowMs).toISOString(),
});

/** The next state and the notification to send, if any. */
interface AlertTransition {
  readonly state: AlertState;
  readonly notification?: NotificationKind;
}

/**
 * Move an alert state by one evaluation. Pure: the same inputs always give the same state and
 * notification, so a retried monitor run that re-evaluates sends nothing new.
 */
export const nextAlertState = (
  prev: AlertState | undefined,
  evaluation: { readonly rule: RuleName; readonly scope: string; readonly firing: boolean },
  nowMs: number,
  policy: AlertPolicy,
): AlertTransition => {
  const now = new Date(nowMs).toISOString();
  const base = prev ?? initialAlertState(evaluation.rule, evaluation.scope, nowMs);
  const changes = base.changes.filter((t) => nowMs - Date.parse(t) < HOUR_MS);
  const current: AlertState = { ...base, changes, evaluatedAt: now };
  const notify = (state: AlertState, kind: NotificationKind): AlertTransition => ({
    state: { ...state, lastNotifiedAt: now, lastNotification: kind },
    notification: kind,
  });

  if (current.status === ALERT_STATUS.ok) {
    if (!evaluation.firing) return { state: { ...current, goodStreak: 0 } };
    return notify(
      {
        ...current,
        status: ALERT_STATUS.alarm,
        since: now,
        goodStreak: 0,
        changes: [...changes, now],
        flapping: false,
      },
      NOTIFICATION_KIND.alarm,
    );
  }

  if (evaluation.firing) {
    const firing = { ...current, goodStreak: 0 };
    const last = current.lastNotifiedAt === null ? undefined : Date.parse(current.lastNotifiedAt);
    const due =
      policy.reminderIntervalMs !== null && (last === undefined || nowMs - last >= policy.reminderIntervalMs);
    return due ? notify(firing, NOTIFICATION_KIND.reminder) : { state: firing };
  }

  const goodStreak = current.goodStreak + 1;
  if (goodStreak < policy.recoveryEvaluations) return { state: { ...current, goodStreak } };
  // Recover only if another ALARM would still fit within the hour's budget of changes.
  if (changes.length + 2 <= policy.maxStateChangesPerHour) {
    return notify(
      {
        ...current,
        status: ALERT_STATUS.ok,
        since: now,
        goodStreak: 0,
        changes: [...changes, now],
        flapping: false,
      },
      NOTIFICATION_KIND.ok,
    );
  }
  if (current.flapping) return { state: { ...current, goodStreak } };
  return notify({ ...current, goodStreak, flapping: true }, NOTIFICATION_KIND.flapping);
};

/** True when two states differ in anything but the evaluation time (whether a write is needed). */
export const alertStateChanged = (before: AlertState | undefined, after: AlertState): boolean => {
  if (before === undefined) return after.status !== ALERT_STATUS.ok || after.lastNotifiedAt !== null;
  const strip = (s: AlertState) => JSON.stringify({ ...s, evaluatedAt: '' });
  return strip(before) !== strip(after);
};
