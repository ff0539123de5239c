import { parseScope } from '../names/keys';
import type { AlertStateStore, StoredAlertState } from '../store/alert-state-store';

/** `alerts`: the stored state of every rule × scope the monitor has evaluated, firing ones first. */

/** One alert state (stable `--json` shape). */
export interface AlertRow {
  readonly rule: string;
  readonly scope: string;
  readonly taskType: string;
  readonly dimension: { readonly key: string; readonly value: string } | null;
  /** `ALARM` or `OK`. */
  readonly status: string;
  /** Since when the status holds. */
  readonly since: string;
  /** Held in ALARM because it kept changing state. */
  readonly flapping: boolean;
  readonly lastNotification: string | null;
  readonly lastNotifiedAt: string | null;
  readonly evaluatedAt: string;
  /** A notification was written but not yet published (the next monitor run retries it). */
  readonly pendingNotification: boolean;
}

/** Rows of the states, ALARM first, then by rule and scope. Pure. */
export const toAlertRows = (states: readonly StoredAlertState[]): AlertRow[] =>
  states
    .map(({ state, pending }): AlertRow => {
      const { taskType, dimension } = parseScope(state.scope);
      return {
        rule: state.rule,
        scope: state.scope,
        taskType,
        dimension: dimension ?? null,
        status: state.status,
        since: state.since,
        flapping: state.flapping,
        lastNotification: state.lastNotification,
        lastNotifiedAt: state.lastNotifiedAt,
        evaluatedAt: state.evaluatedAt,
        pendingNotification: pending !== null,
      };
    })
    .sort(
      (a, b) =>
        Number(b.status === 'ALARM') - Number(a.status === 'ALARM') ||
        a.rule.localeCompare(b.rule) ||
        a.scope.localeCompare(b.scope),
    );

/** Read every alert state (one query). */
export const readAlerts = async (store: AlertStateStore): Promise<AlertRow[]> =>
  toAlertRows(await store.list());
