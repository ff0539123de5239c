import type { Logger } from '@aws-lambda-powertools/logger';
import type { AggregateReader } from '../shared/store/aggregate-reader';
import type { DirtyDayStore } from '../shared/store/dirty-day-store';
import type { RollupStore } from '../shared/store/rollup-store';
import type { RunRecordStore } from '../shared/store/run-record-store';
import { isScheduledRequest, rollupRangeOf } from './request';
import { type RollupOutcome, runRollup, runScheduledRollup } from './run-rollup';

/** Dependencies of the rollup handler, bound once per container (or per test). */
interface RollupHandlerDeps {
  readonly aggregates: AggregateReader;
  readonly rollups: RollupStore;
  /** Dirty-day marks; a scheduled run also recomputes those days. Without it, only the range. */
  readonly dirtyDays?: DirtyDayStore;
  /** Days before today a scheduled run recomputes. */
  readonly scheduledDays: number;
  readonly logger: Pick<Logger, 'info'>;
  readonly now?: () => number;
  /** Where a scheduled run records its completion (`/health`); backfills are not recorded. @default none */
  readonly runRecords?: RunRecordStore;
}

/**
 * Build the rollup handler: a scheduled event rolls up the previous UTC day(s) and the dirty days
 * (late changes); `{from, to}` backfills a range; `{day}` recomputes one day. Invalid requests fail
 * with `InvalidRollupRequestError`.
 */
export const createRollupHandler =
  (deps: RollupHandlerDeps) =>
  async (event: unknown): Promise<RollupOutcome> => {
    const now = deps.now ?? Date.now;
    const { from, to } = rollupRangeOf(event, now(), deps.scheduledDays);
    const base = { aggregates: deps.aggregates, rollups: deps.rollups, now };
    const scheduled = isScheduledRequest(event);
    const outcome =
      deps.dirtyDays !== undefined && scheduled
        ? await runScheduledRollup({ ...base, dirtyDays: deps.dirtyDays }, from, to)
        : await runRollup(base, from, to);
    for (const day of outcome.days) deps.logger.info('rollup computed', { ...day });
    if (outcome.dirty !== undefined) deps.logger.info('dirty days recomputed', { ...outcome.dirty });
    if (scheduled) await deps.runRecords?.record({ job: 'rollup', completedAtMs: now(), gauges: [] });
    return outcome;
  };
