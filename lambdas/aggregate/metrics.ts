import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { ENV } from '../shared/names/env';
import {
  AGGREGATE_METRIC,
  type AggregateMetricName,
  DEFAULT_METRICS_NAMESPACE,
  DIMENSION,
} from '../shared/names/metrics';
import type { AggregateOutcome } from './aggregate-changes';

/**
 * Aggregator metrics: one EMF document per stream batch (through Powertools Metrics, like the ingest),
 * dimension set `[Stage]`, so alarms see retried and skipped changes that the stream hides.
 */

/** The counts of one batch's outcome, by metric name. Pure. */
export const aggregateMetricsOf = (outcome: AggregateOutcome): Record<AggregateMetricName, number> => ({
  [AGGREGATE_METRIC.changesApplied]: outcome.applied,
  [AGGREGATE_METRIC.changesRetried]: outcome.retried,
  [AGGREGATE_METRIC.writesSkipped]: outcome.skipped.length,
});

/** Namespace and stage, read once at cold start (defaults as for the ingest: `Taskpulse`, `dev`). */
export interface AggregateMetricsConfig {
  readonly namespace: string;
  readonly stage: string;
}

export const aggregateMetricsConfigFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
): AggregateMetricsConfig => ({
  namespace: env[ENV.metricsNamespace]?.trim() || DEFAULT_METRICS_NAMESPACE,
  stage: env[ENV.stage]?.trim() || 'dev',
});

/**
 * The handler's `onOutcome` hook: write one batch's counts as one EMF document. Best effort: a failure
 * here is logged and never changes the batch's answer.
 */
export const createAggregateMetricsPublisher = (
  config: AggregateMetricsConfig,
  logger: Pick<Logger, 'error'>,
) => {
  const metrics = new Metrics({ namespace: config.namespace, serviceName: 'taskpulse-aggregate' });
  // Powertools adds a `service` dimension by default; ours is exactly `[Stage]`.
  metrics.clearDefaultDimensions();
  return (outcome: AggregateOutcome): void => {
    try {
      metrics.addDimensions({ [DIMENSION.stage]: config.stage });
      for (const [name, value] of Object.entries(aggregateMetricsOf(outcome)))
        metrics.addMetric(name, MetricUnit.Count, value);
      metrics.publishStoredMetrics();
    } catch (error) {
      logger.error('aggregate metrics could not be emitted', error as Error);
    }
  };
};
