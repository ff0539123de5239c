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
import { createMonitorHandler } from './handler-factory';
import { createMonitorMetrics, emitMonitorGauges } from './metrics';

/** Lambda entry of the monitor function: binds configuration and clients once per container. */

/** Configuration read once at cold start; a missing or malformed variable fails the init clearly. */
const config = {
  stateTable: requireEnv(ENV.stateTable),
  historyTable: requireEnv(ENV.historyTable),
  topicArn: requireEnv(ENV.alertTopicArn),
  stage: requireEnv(ENV.stage),
  monitor: parseMonitorConfig(requireEnv(ENV.monitorConfig), ENV.monitorConfig),
  metricsNamespace: optionalEnv(ENV.metricsNamespace) ?? DEFAULT_METRICS_NAMESPACE,
  deployment: Object.fromEntries(
    (
      [
        ['stackName', optionalEnv(ENV.stackName)],
        ['runbookUrl', optionalEnv(ENV.runbookUrl)],
        ['dashboardUrl', optionalEnv(ENV.dashboardUrl)],
        ['logsUrl', optionalEnv(ENV.logsUrl)],
      ] as const
    ).filter(([, v]) => v !== undefined),
  ) as AlertDeployment,
};

const doc = documentClient();
const logger = new Logger({ serviceName: 'taskpulse-monitor' });
const metrics = createMonitorMetrics(config.metricsNamespace);
const monitorLogger = {
  info: (message: string, extra?: Record<string, unknown>) => logger.info(message, extra ?? {}),
  warn: (message: string, extra?: Record<string, unknown>) => logger.warn(message, extra ?? {}),
  error: (message: string, extra?: Record<string, unknown>) => logger.error(message, extra ?? {}),
};

export const handler = createMonitorHandler({
  aggregates: new DynamoAggregateReader(doc, config.stateTable),
  runs: new DynamoRunLookup(doc, config.historyTable),
  states: new DynamoAlertStateStore(doc, config.stateTable),
  publisher: new SnsAlertPublisher(new SNSClient({}), config.topicArn),
  config: config.monitor,
  stage: config.stage,
  deployment: config.deployment,
  onOutcome: (outcome, nowMs) =>
    emitMonitorGauges(metrics, outcome.gauges, { stage: config.stage, nowMs }, monitorLogger),
  logger: monitorLogger,
});
