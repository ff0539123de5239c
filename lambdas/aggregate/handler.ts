import { Logger } from '@aws-lambda-powertools/logger';
import { documentClient } from '../shared/aws/clients';
import { DEFAULTS, ENV, intEnv, listEnv, requireEnv } from '../shared/names/env';
import { DynamoAggregateStore } from '../shared/store/aggregate-store';
import { createAggregateHandler } from './handler-factory';
import { aggregateMetricsConfigFromEnv, createAggregateMetricsPublisher } from './metrics';

/** Lambda entry of the aggregate function: binds configuration and clients once per container. */

/** Configuration read once at cold start; a missing variable fails the init with its name. */
const config = {
  stateTable: requireEnv(ENV.stateTable),
  ttlDays: intEnv(ENV.aggregateTtlDays, DEFAULTS.aggregateTtlDays),
  dimensionKeys: listEnv(ENV.aggregateDimensions),
};

const logger = new Logger({ serviceName: 'taskpulse-aggregate' });

export const handler = createAggregateHandler({
  store: new DynamoAggregateStore(documentClient(), config.stateTable, config.ttlDays),
  dimensionKeys: config.dimensionKeys,
  logger,
  onOutcome: createAggregateMetricsPublisher(aggregateMetricsConfigFromEnv(), logger),
});
