import { parseScope } from '../../shared/names/keys';
import { type RuleName, wordsOf } from '../rules/registry';
import type { NotificationKind, Severity } from '../rules/rule';
import {
  countsOf,
  historyCommandOf,
  type Measurement,
  measurementOf,
  parametersOf,
  summaryOf,
} from './describe';
import { renderSubject } from './email';
import { type AlertNotification, stateOfKind } from './notification';

/**
 * The JSON document for machines (SQS, Lambda, HTTPS, email-json subscribers). Stable and versioned:
 * fields are only ever added within a version; `schema` names the version a consumer can check.
 */

export const ALERT_DOCUMENT_SCHEMA = 'taskpulse.alert/v1';

/** Task IDs carried by one document at most (SNS messages are limited to 256 KB). */
const DOCUMENT_TASK_IDS = 200;

export interface AlertDocument {
  readonly schema: typeof ALERT_DOCUMENT_SCHEMA;
  readonly id: string;
  readonly kind: NotificationKind;
  readonly state: 'ALARM' | 'OK';
  readonly rule: RuleName;
  readonly severity: Severity;
  readonly stage: string;
  readonly scope: string;
  readonly taskType: string;
  readonly dimension: { readonly key: string; readonly value: string } | null;
  readonly subject: string;
  readonly summary: string;
  readonly measurement: Measurement;
  readonly parameters: Readonly<Record<string, number | null>>;
  readonly counts: Readonly<Record<string, number>>;
  readonly window: { readonly start: string; readonly end: string };
  readonly topErrors: readonly {
    readonly type: string;
    readonly count: number;
    readonly sample: string | null;
  }[];
  readonly taskIds: readonly string[];
  /** How many task IDs there were (more than `taskIds` holds when it was cut). */
  readonly taskIdsTotal: number;
  /** Stuck runs with their start; empty for other rules. */
  readonly runs: readonly {
    readonly taskId: string;
    readonly status: string;
    readonly attempt: number;
    readonly startedAt: string;
    readonly stuckForMs: number;
  }[];
  readonly firingSince: string;
  readonly evaluatedAt: string;
  readonly runbook: string | null;
  readonly historyCommand: string;
  /** Stack the alert came from, when known. */
  readonly stackName: string | null;
  /** Console links (dashboard, monitor function logs), when known. */
  readonly links: { readonly dashboard: string | null; readonly logs: string | null };
}

/** Build the document. Pure. */
export const toAlertDocument = (n: AlertNotification): AlertDocument => {
  const e = n.evaluation;
  const { taskType, dimension } = parseScope(e.scope);
  const state = stateOfKind(n.kind);
  return {
    schema: ALERT_DOCUMENT_SCHEMA,
    id: n.id,
    kind: n.kind,
    state,
    rule: e.rule,
    severity: e.severity,
    stage: n.stage,
    scope: e.scope,
    taskType,
    dimension: dimension ?? null,
    subject: renderSubject(n),
    summary: summaryOf(e, state),
    measurement: measurementOf(e),
    parameters: parametersOf(e),
    counts: countsOf(e),
    window: { start: new Date(e.windowStartMs).toISOString(), end: new Date(e.windowEndMs).toISOString() },
    topErrors: e.topErrors.map((t) => ({ type: t.type, count: t.count, sample: t.sample })),
    taskIds: e.taskIds.slice(0, DOCUMENT_TASK_IDS),
    taskIdsTotal: e.taskIds.length,
    runs: (wordsOf(e).runs ?? []).slice(0, DOCUMENT_TASK_IDS),
    firingSince: n.firingSince,
    evaluatedAt: new Date(e.evaluatedAtMs).toISOString(),
    runbook: n.runbook,
    historyCommand: historyCommandOf(e, n.deployment?.stackName),
    stackName: n.deployment?.stackName ?? null,
    links: { dashboard: n.deployment?.dashboardUrl ?? null, logs: n.deployment?.logsUrl ?? null },
  };
};
