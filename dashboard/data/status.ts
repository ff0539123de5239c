import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
// The query layer moves to lambdas/shared/queries/ (issue 8); these imports follow it there.
import { type AlertRow, readAlerts } from '../../lambdas/shared/queries/alerts';
import { type ExecutionRow, listExecutions } from '../../lambdas/shared/queries/executions';
import { taskTypesActive } from '../../lambdas/shared/queries/task-types';
import type { AggregateReader } from '../../lambdas/shared/store/aggregate-reader';
import { DynamoAlertStateStore } from '../../lambdas/shared/store/alert-state-store';

/**
 * The row under the page's title: the most recent failed executions and the current alert states,
 * read through the same query layer as `taskpulse failures` and `taskpulse alerts`, so the page and
 * the CLI agree.
 */

/** What the status row shows. */
export interface StatusView {
  /** Failed executions finished in the drawn range, newest first. */
  readonly failures: readonly ExecutionRow[];
  /** Every alert state, firing first. */
  readonly alerts: readonly AlertRow[];
}

/** What reading the status needs. */
export interface StatusDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly historyTable: string;
  readonly stateTable: string;
  readonly aggregates: AggregateReader;
}

/** Failed executions shown at most. */
export const MAX_FAILURES_SHOWN = 8;

/** Read the status row for `[fromMs, toMs)`. */
export const readStatus = async (deps: StatusDeps, fromMs: number, toMs: number): Promise<StatusView> => {
  const [page, alerts] = await Promise.all([
    listExecutions(
      {
        doc: deps.doc,
        historyTable: deps.historyTable,
        taskTypesOn: (days) => taskTypesActive(deps.aggregates, days),
      },
      {
        taskType: null,
        status: 'failed',
        fromIso: new Date(fromMs).toISOString(),
        toIso: new Date(toMs).toISOString(),
      },
      { limit: MAX_FAILURES_SHOWN },
    ),
    readAlerts(new DynamoAlertStateStore(deps.doc, deps.stateTable)),
  ]);
  return { failures: page.items, alerts };
};
