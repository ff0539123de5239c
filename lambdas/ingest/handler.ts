import { Logger } from '@aws-lambda-powertools/logger';
import { documentClient } from '../shared/aws/clients';
import { DEFAULTS, ENV, intEnv, requireEnv } from '../shared/names/env';
import { DynamoHistoryStore } from '../shared/store/history-store';
import { createIngestHandler } from './handler-factory';
import { createMetricsPublisher, metricsConfigFromEnv } from './metrics';

/**
 * Lambda entry of the ingest function: binds configuration and clients once per container.
 * The logic is in `handler-factory.ts` (and below it `ingest-batch.ts`), which tests build with their own deps.
 */

/** Configuration read once at cold start; a missing variable fails the init with its name. */
const config = {
  historyTable: requireEnv(ENV.historyTable),
  ttlDays: intEnv(ENV.historyTtlDays, DEFAULTS.historyTtlDays),
};

const logger = new Logger({ serviceName: 'taskpulse-ingest' });

export const handler = createIngestHandler({
  store: new DynamoHistoryStore(documentClient(), config.historyTable, config.ttlDays),
  ttlDays: config.ttlDays,
  logger,
  // One EMF document per (task type, minute of occurredAt) group, plus the pipeline counts.
  onOutcome: createMetricsPublisher(metricsConfigFromEnv(), { logger }),
});
