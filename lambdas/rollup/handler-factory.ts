import type { Logger } from '@aws-lambda-powertools/logger';
import type { AggregateReader } from '../shared/store/aggregate-reader';
import type { RollupStore } from '../shared/store/rollup-store';
import { rollupRangeOf } from './request';
import { type RollupOutcome, runRollup } from './run-rollup';

/** Dependencies of the rollup handler, bound once per container (or per test). */
export interface RollupHandlerDeps {
  readonly aggregates: AggregateReader;
  readonly rollups: RollupStore;
  /** Days before today a scheduled run recomputes. */
  readonly scheduledDays: number;
  readonly logger: Pick<Logger, 'info'>;
  readonly now?: () => number;
}

/**
 * Build the rollup handler: a scheduled event rolls up the previous UTC day(s); `{from, to}` backfills a
 * range; `{day}` recomputes one day. Invalid requests fail with `InvalidRollupRequestError`.
 */
export const createRollupHandler =
  (deps: RollupHandlerDeps) =>
  async (event: unknown): Promise<RollupOutcome> => {
    const now = deps.now ?? Date.now;
    const { from, to } = rollupRangeOf(event, now(), deps.scheduledDays);
    const outcome = await runRollup({ aggregates: deps.aggregates, rollups: deps.rollups, now }, from, to);
    for (const day of outcome.days) deps.logger.info('rollup computed', { ...day });
    return outcome;
  };
