import { type MonitorDeps, type MonitorOutcome, runMonitor } from './run-monitor';

/** Some scopes or alerts could not be handled; the next scheduled run retries them. */
export class MonitorRunError extends Error {
  override readonly name = 'MonitorRunError';
}

/** What the handler returns: the outcome with evaluations counted rather than listed. */
export type MonitorSummary = Omit<MonitorOutcome, 'evaluations'> & { readonly evaluations: number };

/**
 * Build the scheduled monitor handler. It evaluates at the invocation time and fails the invocation
 * (so the Lambda `Errors` metric shows it) when any scope or alert could not be handled; everything
 * else of that run is already settled.
 */
export const createMonitorHandler =
  (deps: MonitorDeps & { readonly now?: () => number }) =>
  async (_event?: unknown): Promise<MonitorSummary> => {
    const outcome = await runMonitor(deps, (deps.now ?? Date.now)());
    if (outcome.failures.length > 0) {
      throw new MonitorRunError(
        `${outcome.failures.length} monitor step(s) failed: ${outcome.failures
          .slice(0, 3)
          .map((f) => `${f.rule ?? 'evaluate'} ${f.scope}: ${f.error}`)
          .join('; ')}`,
      );
    }
    return { ...outcome, evaluations: outcome.evaluations.length };
  };
