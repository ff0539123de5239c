import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { AggregateStore } from '../shared/store/aggregate-store';
import { type AggregateOutcome, aggregateChanges } from './aggregate-changes';
import { AggregateRetryError, aggregateWindow, type WindowLimits } from './aggregate-window';
import { type DynamoDBStreamWindowEvent, isWindowEvent, toExecutionChanges } from './stream-records';
import { windowStateOf } from './window-state';

export interface AggregateDeps {
  readonly store: AggregateStore;
  readonly dimensionKeys: readonly string[];
  readonly logger: Logger;
  /** Called with every batch's outcome (metrics). @default none */
  readonly onOutcome?: (outcome: AggregateOutcome) => void;
  /** Clock, epoch ms (which days count as ended). @default Date.now */
  readonly now?: () => number;
  /** When a window's state is written early. @default WINDOW_LIMITS */
  readonly windowLimits?: WindowLimits;
}

/** The answer to a window invocation: the state to carry (Lambda treats an answer without one as failed). */
export type AggregateWindowResponse = DynamoDBBatchResponse & { state: Record<string, unknown> };

/**
 * Build the stream handler. Under a tumbling window (the deployed mapping, see
 * `AGGREGATE_TUMBLING_WINDOW`) it folds changes into the window's state and writes on the window's
 * final invocation; a failure throws once nothing is in flight, so Lambda retries the invocation with
 * the previous state. Without a window (tests, older mappings) it applies each batch on its own: on a
 * transient failure it reports the first unapplied change, so the event source mapping retries from
 * there and already applied changes are skipped through the ledger. Writes skipped after a permanent
 * error are logged with the changes they came from.
 */
export const createAggregateHandler = (deps: AggregateDeps) => {
  const report = (outcome: AggregateOutcome) => {
    for (const skip of outcome.skipped)
      deps.logger.error('aggregate write skipped after a permanent error', { ...skip });
    deps.onOutcome?.(outcome);
  };
  const onWindow = async (event: DynamoDBStreamWindowEvent): Promise<AggregateWindowResponse> => {
    try {
      const outcome = await aggregateWindow(
        {
          shardId: event.shardId,
          windowStart: event.window.start,
          isFinal: event.isFinalInvokeForWindow,
          state: windowStateOf(event.state),
          changes: toExecutionChanges(event.Records),
        },
        deps.store,
        deps.dimensionKeys,
        deps.now,
        deps.windowLimits,
      );
      report(outcome);
      return { state: outcome.state as Record<string, unknown>, batchItemFailures: [] };
    } catch (error) {
      if (error instanceof AggregateRetryError) {
        report(error.outcome);
        deps.logger.warn('aggregation will be retried', {
          error: error.message,
          retried: error.outcome.retried,
        });
      }
      throw error;
    }
  };
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    if (isWindowEvent(event)) return onWindow(event);
    const outcome = await aggregateChanges(
      toExecutionChanges(event.Records),
      deps.store,
      deps.dimensionKeys,
      deps.now,
    );
    report(outcome);
    if (outcome.failedAt !== undefined) {
      deps.logger.warn('aggregation will be retried', { from: outcome.failedAt, applied: outcome.applied });
      return { batchItemFailures: [{ itemIdentifier: outcome.failedAt }] };
    }
    return { batchItemFailures: [] };
  };
};
