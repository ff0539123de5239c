import { createHash } from 'node:crypto';
import type { Evaluation } from '../rules/registry';
import { NOTIFICATION_KIND, type NotificationKind } from '../rules/rule';

/**
 * Where an alert came from, for the links and commands in it: the deployment's stack name and console
 * URLs (set by CDK on the monitor function, `ENV.stackName`, `ENV.dashboardUrl`, `ENV.logsUrl`).
 */
export interface AlertDeployment {
  /** CloudFormation stack name; CLI commands in the alert add `--stack <name>`. */
  readonly stackName?: string;
  /** Runbook URL for every alert (a rule's `runbook` setting overrides it per task type). */
  readonly runbookUrl?: string;
  /** Console URL of the dashboard. */
  readonly dashboardUrl?: string;
  /** Console URL of the monitor function's logs (each evaluation and notification is logged there). */
  readonly logsUrl?: string;
}

/** Everything a notification says: rendered to a subject, an email text and a JSON document. */
export interface AlertNotification {
  /** Stable id (same rule, scope, kind and evaluation time → same id): consumers can de-duplicate. */
  readonly id: string;
  readonly kind: NotificationKind;
  readonly evaluation: Evaluation;
  readonly stage: string;
  /** When the alert started firing (for OK: when the firing that just ended began), UTC ISO. */
  readonly firingSince: string;
  /** Runbook URL or text; `null` when none is configured. */
  readonly runbook: string | null;
  /** Reminder interval of the alert, to tell readers when they will hear again. */
  readonly reminderIntervalMs: number | null;
  /** Stack name and console links; absent parts are left out of the message. @default {} */
  readonly deployment?: AlertDeployment;
}

/** The alert state a notification kind leaves the alert in. */
export const stateOfKind = (kind: NotificationKind): 'ALARM' | 'OK' =>
  kind === NOTIFICATION_KIND.ok ? 'OK' : 'ALARM';

/** Deterministic notification id. */
export const notificationIdOf = (kind: NotificationKind, evaluation: Evaluation): string =>
  createHash('sha256')
    .update(`${evaluation.rule}\n${evaluation.scope}\n${kind}\n${evaluation.evaluatedAtMs}`)
    .digest('hex')
    .slice(0, 32);
