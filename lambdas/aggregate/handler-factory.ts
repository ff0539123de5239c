import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { AggregateStore } from '../shared/store/aggregate-store';
import { aggregateChanges } from './aggregate-changes';
import { toExecutionChanges } from './stream-records';

export interface AggregateDeps {
  readonly store: AggregateStore;
  readonly dimensionKeys: readonly string[];
  readonly logger: Logger;
}

/**
 * Build the stream handler. On a failure it reports the first unapplied change, so the event source
 * mapping retries from there; already applied changes are skipped through the ledger.
 */
export const createAggregateHandler =
  (deps: AggregateDeps) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const outcome = await aggregateChanges(toExecutionChanges(event.Records), deps.store, deps.dimensionKeys);
    if (outcome.failedAt !== undefined) {
      deps.logger.warn('aggregation will be retried', { from: outcome.failedAt, applied: outcome.applied });
      return { batchItemFailures: [{ itemIdentifier: outcome.failedAt }] };
    }
    return { batchItemFailures: [] };
  };
