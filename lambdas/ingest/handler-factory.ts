import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { HistoryStore } from '../shared/store/history-store';
import { type IngestOutcome, ingestBatch } from './ingest-batch';

/** Dependencies of the ingest handler, bound once per container (or per test). */
interface IngestDeps {
  readonly store: HistoryStore;
  readonly ttlDays: number;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Called with each batch's outcome (metrics are emitted from here). */
  readonly onOutcome?: (outcome: IngestOutcome) => void | Promise<void>;
}

/** Build the SQS handler: records in, `batchItemFailures` out (`ReportBatchItemFailures`). */
export const createIngestHandler =
  (deps: IngestDeps) =>
  async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const outcome = await ingestBatch(
      event.Records.map((r) => ({
        messageId: r.messageId,
        body: r.body,
        sentAtMs: Number(r.attributes.SentTimestamp),
      })),
      deps.store,
      { nowMs: (deps.now ?? Date.now)(), ttlDays: deps.ttlDays },
    );
    for (const q of outcome.quarantined) {
      deps.logger.warn('message quarantined', {
        messageId: q.messageId,
        code: q.rejection.code,
        reason: q.rejection.reason,
      });
    }
    if (outcome.failedMessageIds.length > 0) {
      deps.logger.warn('records will be retried', { count: outcome.failedMessageIds.length });
    }
    await deps.onOutcome?.(outcome);
    return { batchItemFailures: outcome.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
  };
