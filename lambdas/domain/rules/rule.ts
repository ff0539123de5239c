/**
 * Names shared by the monitor's rules, alert states and notifications. They appear in alert states,
 * in SNS message attributes (subscription filter policies match on them) and in the JSON alert
 * document, so they are part of the public contract: add, never rename. Rule names are each rule
 * module's `RULE_NAME`, collected in `registry.ts` (`RULE`, `RuleName`).
 */

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
