import { Logger } from '@aws-lambda-powertools/logger';
import { documentClient } from '../shared/aws/clients';
import { ENV, intEnv, requireEnv } from '../shared/names/env';
import { DynamoAggregateReader } from '../shared/store/aggregate-reader';
import { DynamoDirtyDayStore } from '../shared/store/dirty-day-store';
import { DynamoRollupStore } from '../shared/store/rollup-store';
import { DynamoRunRecordStore } from '../shared/store/run-record-store';
import { createRollupHandler } from './handler-factory';
import { DEFAULT_SCHEDULED_ROLLUP_DAYS } from './request';

/** Lambda entry of the rollup function: binds configuration and clients once per container. */

/** Configuration read once at cold start; a missing variable fails the init with its name. */
const config = {
  stateTable: requireEnv(ENV.stateTable),
  scheduledDays: intEnv(ENV.rollupDays, DEFAULT_SCHEDULED_ROLLUP_DAYS),
};

const doc = documentClient();

export const handler = createRollupHandler({
  aggregates: new DynamoAggregateReader(doc, config.stateTable),
  rollups: new DynamoRollupStore(doc, config.stateTable),
  dirtyDays: new DynamoDirtyDayStore(doc, config.stateTable),
  scheduledDays: config.scheduledDays,
  logger: new Logger({ serviceName: 'taskpulse-rollup' }),
  runRecords: new DynamoRunRecordStore(doc, config.stateTable),
});
