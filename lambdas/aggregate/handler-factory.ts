import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { AggregateStore } from '../shared/store/aggregate-store';
import { type AggregateOutcome, aggregateChanges } from './aggregate-changes';
import { toExecutionChanges } from './stream-records';

export interface AggregateDeps {
  readonly store: AggregateStore;
  readonly dimensionKeys: readonly string[];
  readonly logger: Logger;
  /** Called with every batch's outcome (metrics). @default none */
  readonly onOutcome?: (outcome: AggregateOutcome) => void;
  /** Clock, epoch ms (which days count as ended). @default Date.now */
  readonly now?: () => number;
}

/**
 * Build the stream handler. On a transient failure it reports the first unapplied change, so the
 * event source mapping retries from there; already applied changes are skipped through the ledger.
 * Writes skipped after a permanent error are logged with the changes they came from.
 */
export const createAggregateHandler =
  (deps: AggregateDeps) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const outcome = await aggregateChanges(
      toExecutionChanges(event.Records),
      deps.store,
      deps.dimensionKeys,
      deps.now,
    );
    for (const skip of outcome.skipped)
      deps.logger.error('aggregate write skipped after a permanent error', { ...skip });
    deps.onOutcome?.(outcome);
    if (outcome.failedAt !== undefined) {
      deps.logger.warn('aggregation will be retried', { from: outcome.failedAt, applied: outcome.applied });
      return { batchItemFailures: [{ itemIdentifier: outcome.failedAt }] };
    }
    return { batchItemFailures: [] };
  };
