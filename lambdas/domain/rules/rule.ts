/**
 * Names shared by the monitor's rules, alert states and notifications. They appear in alert state
 * keys (`AL` / `<rule>#<scope>`), in SNS message attributes (subscription filter policies match on them)
 * and in the JSON alert document, so they are part of the public contract: add, never rename.
 */

/** The rules the monitor evaluates. */
export const RULE = {
  /** Share of failed executions over a sliding window. */
  failureRate: 'failure-rate',
  /** Failures in a row since the last success. */
  consecutiveFailures: 'consecutive-failures',
  /** Runs started without a terminal event after a timeout. */
  stuck: 'stuck',
  /** Share of runs slower than a threshold above a configured share (default: 10% over 5 s). */
  slow: 'slow',
  /** A task type with a declared cadence that has not started in time. */
  missed: 'missed',
  /** Runs enqueued and not started after a timeout (a stuck queue or stopped workers). */
  queueStuck: 'queue-stuck',
} as const;

export type RuleName = (typeof RULE)[keyof typeof RULE];

export const RULE_NAMES: readonly RuleName[] = Object.values(RULE);

/** How urgent an alert is; a subscription filter policy can select on it. */
export const SEVERITIES = ['critical', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Stored status of an alert. */
export const ALERT_STATUS = { ok: 'OK', alarm: 'ALARM' } as const;
export type AlertStatus = (typeof ALERT_STATUS)[keyof typeof ALERT_STATUS];

/**
 * What a notification says: the alert started firing (ALARM), recovered (OK), is still firing after
 * the reminder interval (REMINDER), or keeps changing state and is held in ALARM (FLAPPING, said once).
 */
export const NOTIFICATION_KIND = {
  alarm: 'ALARM',
  ok: 'OK',
  reminder: 'REMINDER',
  flapping: 'FLAPPING',
} as const;
export type NotificationKind = (typeof NOTIFICATION_KIND)[keyof typeof NOTIFICATION_KIND];
