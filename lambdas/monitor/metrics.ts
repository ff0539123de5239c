import { Metrics } from '@aws-lambda-powertools/metrics';
import { emitMetricRecords, type MetricRecord } from '../ingest/metrics';
import { DIMENSION, MONITOR_METRIC, UNIT_OF } from '../shared/names/metrics';
import type { TaskGauges } from './run-monitor';

/**
 * The monitor's gauges as CloudWatch metrics (EMF through Powertools, the same emitter as the ingest
 * metrics): `Running` and `Stuck` per task type (`[Stage, TaskType]`) and their totals (`[Stage]`),
 * stamped with the evaluation time. The dashboard's "Now (monitor)" and "Running / stuck by task
 * type" widgets graph exactly these (names from `shared/names/metrics.ts`).
 */

/** The EMF records of one monitor run. Pure. */
const toMonitorMetricRecords = (
  gauges: readonly TaskGauges[],
  options: { readonly stage: string; readonly nowMs: number },
): MetricRecord[] => {
  const record = (dimensions: Record<string, string>, running: number, stuck: number): MetricRecord => ({
    timestampMs: options.nowMs,
    dimensionSets: [{ [DIMENSION.stage]: options.stage, ...dimensions }],
    metrics: [
      { name: MONITOR_METRIC.running, unit: UNIT_OF[MONITOR_METRIC.running], values: [running] },
      { name: MONITOR_METRIC.stuck, unit: UNIT_OF[MONITOR_METRIC.stuck], values: [stuck] },
    ],
  });
  return [
    record(
      {},
      gauges.reduce((n, g) => n + g.running, 0),
      gauges.reduce((n, g) => n + g.stuck, 0),
    ),
    ...gauges.map((g) => record({ [DIMENSION.taskType]: g.taskType }, g.running, g.stuck)),
  ];
};

/** A Powertools Metrics instance in our namespace, without the default `service` dimension. */
export const createMonitorMetrics = (namespace: string): Metrics => {
  const metrics = new Metrics({ namespace, serviceName: 'taskpulse-monitor' });
  metrics.clearDefaultDimensions();
  return metrics;
};

/** Emit one run's gauges. Best effort: metrics never fail a run whose alerts are already settled. */
export const emitMonitorGauges = (
  metrics: Metrics,
  gauges: readonly TaskGauges[],
  options: { readonly stage: string; readonly nowMs: number },
  logger: { error(message: string, extra?: Record<string, unknown>): void },
): void => {
  try {
    emitMetricRecords(metrics, toMonitorMetricRecords(gauges, options));
  } catch (error) {
    logger.error('monitor metrics could not be emitted', { error: String(error) });
  }
};
