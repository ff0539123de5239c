import type { RunRecordStore } from '../shared/store/run-record-store';
import { type MonitorDeps, type MonitorOutcome, runMonitor } from './run-monitor';

/** Some scopes or alerts could not be handled; the next scheduled run retries them. */
export class MonitorRunError extends Error {
  override readonly name = 'MonitorRunError';
}

/** What the handler returns: the outcome with evaluations counted rather than listed. */
export type MonitorSummary = Omit<MonitorOutcome, 'evaluations'> & { readonly evaluations: number };

/** Extra dependencies of the handler. */
export interface MonitorHandlerDeps extends MonitorDeps {
  readonly now?: () => number;
  /** Called with every outcome, failed steps or not (the Lambda emits the gauges here). */
  readonly onOutcome?: (outcome: MonitorOutcome, nowMs: number) => void;
  /** Where a run that handled everything records its completion and gauges (`/health`, `/metrics`). @default none */
  readonly runRecords?: RunRecordStore;
}

/**
 * Build the scheduled monitor handler. It evaluates at the invocation time and fails the invocation
 * (so the Lambda `Errors` metric shows it) when any scope or alert could not be handled; everything
 * else of that run is already settled. A run that handled everything records its completion last, so
 * `/health` sees a monitor that keeps failing as one that stopped.
 */
export const createMonitorHandler =
  (deps: MonitorHandlerDeps) =>
  async (_event?: unknown): Promise<MonitorSummary> => {
    const nowMs = (deps.now ?? Date.now)();
    const outcome = await runMonitor(deps, nowMs);
    deps.onOutcome?.(outcome, nowMs);
    if (outcome.failures.length > 0) {
      throw new MonitorRunError(
        `${outcome.failures.length} monitor step(s) failed: ${outcome.failures
          .slice(0, 3)
          .map((f) => `${f.rule ?? 'evaluate'} ${f.scope}: ${f.error}`)
          .join('; ')}`,
      );
    }
    await deps.runRecords?.record({ job: 'monitor', completedAtMs: nowMs, gauges: outcome.gauges });
    return { ...outcome, evaluations: outcome.evaluations.length };
  };
