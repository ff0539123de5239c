import { createHash } from 'node:crypto';
import type { Evaluation } from '../domain/rules/evaluation';
import { NOTIFICATION_KIND, type NotificationKind } from '../domain/rules/rule';

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
