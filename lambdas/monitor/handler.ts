import { Logger } from '@aws-lambda-powertools/logger';
import { SNSClient } from '@aws-sdk/client-sns';
import type { AlertDeployment } from '../domain/alerts/notification';
import { parseMonitorConfig } from '../domain/rules/config';
import { SnsAlertPublisher } from '../shared/aws/alert-publisher';
import { documentClient } from '../shared/aws/clients';
import { ENV, optionalEnv, requireEnv } from '../shared/names/env';
import { DEFAULT_METRICS_NAMESPACE } from '../shared/names/metrics';
import { DynamoAggregateReader } from '../shared/store/aggregate-reader';
import { DynamoAlertStateStore } from '../shared/store/alert-state-store';
import { DynamoRunLookup } from '../shared/store/run-lookup';
import { DynamoRunRecordStore } from '../shared/store/run-record-store';
import { createMonitorHandler, type MonitorHandlerDeps } from './handler-factory';
import { createMonitorMetrics, emitMonitorGauges } from './metrics';

/** Lambda entry of the monitor function: binds configuration and clients once per container. */

/**
 * The monitor's dependencies from the function's environment, read when called (once, at cold start,
 * here). Exported so local mode builds the same monitor and wraps only its publisher to print emails;
 * a missing or malformed variable fails clearly.
 */
export const monitorDeps = (): MonitorHandlerDeps => {
  const stateTable = requireEnv(ENV.stateTable);
  const stage = requireEnv(ENV.stage);
  const deployment = Object.fromEntries(
    (
      [
        ['stackName', optionalEnv(ENV.stackName)],
        ['runbookUrl', optionalEnv(ENV.runbookUrl)],
        ['dashboardUrl', optionalEnv(ENV.dashboardUrl)],
        ['logsUrl', optionalEnv(ENV.logsUrl)],
      ] as const
    ).filter(([, v]) => v !== undefined),
  ) as AlertDeployment;
  const doc = documentClient();
  const logger = new Logger({ serviceName: 'taskpulse-monitor' });
  const metrics = createMonitorMetrics(optionalEnv(ENV.metricsNamespace) ?? DEFAULT_METRICS_NAMESPACE);
  const monitorLogger = {
    info: (message: string, extra?: Record<string, unknown>) => logger.info(message, extra ?? {}),
    warn: (message: string, extra?: Record<string, unknown>) => logger.warn(message, extra ?? {}),
    error: (message: string, extra?: Record<string, unknown>) => logger.error(message, extra ?? {}),
  };
  return {
    aggregates: new DynamoAggregateReader(doc, stateTable),
    runs: new DynamoRunLookup(doc, requireEnv(ENV.historyTable)),
    states: new DynamoAlertStateStore(doc, stateTable),
    publisher: new SnsAlertPublisher(new SNSClient({}), requireEnv(ENV.alertTopicArn)),
    config: parseMonitorConfig(requireEnv(ENV.monitorConfig), ENV.monitorConfig),
    stage,
    deployment,
    onOutcome: (outcome, nowMs) =>
      emitMonitorGauges(metrics, outcome.gauges, { stage, nowMs }, monitorLogger),
    logger: monitorLogger,
    runRecords: new DynamoRunRecordStore(doc, stateTable),
  };
};

export const handler = createMonitorHandler(monitorDeps());
