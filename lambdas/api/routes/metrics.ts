import { formatPrometheus, PROMETHEUS_CONTENT_TYPE } from '../../domain/prometheus';
import { API_PATH } from '../../shared/names/api';
import { readMetricFamilies } from '../../shared/queries/prometheus-metrics';
import { DynamoAggregateReader } from '../../shared/store/aggregate-reader';
import { DynamoRunRecordStore } from '../../shared/store/run-record-store';
import { pipelineOf } from './health';
import { defineRoute } from './route';

/** `GET /metrics`: Prometheus text exposition format 0.0.4 (names in `lambdas/shared/names/prometheus.ts`). */
export const metricsRoute = defineRoute({
  path: API_PATH.metrics,
  method: 'get',
  operationId: 'getMetrics',
  summary: 'Prometheus metrics: executions by task type and status, run and wait time histograms, gauges',
  description:
    "Text exposition format 0.0.4. Counters and histograms cover executions finished since 00:00 UTC and reset at midnight UTC; running and stuck gauges are the monitor's counts at its last run.",
  responses: {
    200: { description: 'Prometheus text', contentType: PROMETHEUS_CONTENT_TYPE },
  },
  handle: async (_input, deps) => {
    const families = await readMetricFamilies({
      aggregates: new DynamoAggregateReader(deps.doc, deps.stateTable),
      runRecords: new DynamoRunRecordStore(deps.doc, deps.stateTable),
      probe: pipelineOf(deps),
      ...(deps.now && { now: deps.now }),
    });
    return {
      status: 200,
      body: formatPrometheus(families),
      contentType: PROMETHEUS_CONTENT_TYPE,
      headers: { 'cache-control': 'no-store' },
    };
  },
});
