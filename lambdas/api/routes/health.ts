import { z } from 'zod';
import { API_PATH } from '../../shared/names/api';
import { ConfigError } from '../../shared/names/env';
import { readHealth } from '../../shared/queries/pipeline-health';
import { DynamoRunRecordStore } from '../../shared/store/run-record-store';
import type { ApiDeps } from '../deps';
import { defineRoute, json } from './route';

/** The pipeline probe of the deps, or a configuration error naming what is missing. */
export const pipelineOf = (deps: ApiDeps) => {
  if (deps.pipeline === undefined)
    throw new ConfigError(
      'the API has no pipeline signals: set the queue and aggregator variables (lambdas/shared/names/env.ts)',
    );
  return deps.pipeline;
};

const reason = z.object({
  check: z.string(),
  value: z.number().nullable(),
  limit: z.number(),
  message: z.string(),
});

const report = z.object({
  healthy: z.boolean(),
  checkedAt: z.string(),
  reasons: z.array(reason),
  signals: z.object({
    nowMs: z.number(),
    queueDepth: z.number(),
    oldestMessageAgeSeconds: z.number().nullable(),
    deadLetterDepth: z.number(),
    aggregateFailureDepth: z.number(),
    aggregatorLagSeconds: z.number().nullable(),
    lastMonitorRunMs: z.number().nullable(),
    lastRollupRunMs: z.number().nullable(),
  }),
  thresholds: z.record(z.string(), z.number()),
});

/** `GET /health`: 200 when every pipeline signal is within its limit, else 503 with the reasons. */
export const healthRoute = defineRoute({
  path: API_PATH.health,
  method: 'get',
  operationId: 'getHealth',
  summary: 'Pipeline health from queue depths, ages, the aggregator lag and the last scheduled runs',
  description:
    'Healthy when the events queue is short and young, the dead-letter and aggregator failure queues are empty, the aggregator keeps up, and the monitor and the scheduled rollup ran recently. Ages without a CloudWatch datapoint are null and do not count.',
  responses: {
    200: { description: 'Healthy', schema: report },
    503: { description: 'Unhealthy: `reasons` says why', schema: report },
  },
  handle: async (_input, deps) => {
    const health = await readHealth({
      probe: pipelineOf(deps),
      runRecords: new DynamoRunRecordStore(deps.doc, deps.stateTable),
      ...(deps.now && { now: deps.now }),
    });
    return { ...json(health.healthy ? 200 : 503, health), headers: { 'cache-control': 'no-store' } };
  },
});
