import { z } from 'zod';
import { listPage } from '../paging';
import { InvalidParameterError } from '../problem';
import { failurePageSchema, instantParam, limitParam, nextParam, taskTypeParam } from '../schemas';
import { MAX_RANGE_DAYS } from './executions';
import { defineRoute } from './route';

const HOUR_MS = 3_600_000;

/** `GET /v1/failures`: failed executions with their errors, newest finish first (byStatus index). */
export const failuresRoute = defineRoute({
  path: '/v1/failures',
  method: 'get',
  operationId: 'listFailures',
  summary: 'Failed executions with their errors, newest first',
  description:
    "Reads the byStatus index, keyed by status and task type: O(page size) keys and items, never the successes nor other types' failures; " +
    'plus one scope-registry query per day when no taskType is given.',
  query: z.object({
    since: instantParam.optional().meta({ description: 'By finish time, ISO 8601. @default 1 hour ago' }),
    taskType: taskTypeParam.optional(),
    limit: limitParam(1000, 50),
    next: nextParam.optional(),
  }),
  responses: { 200: { description: 'One page.', schema: failurePageSchema } },
  handle: async ({ query: q }, deps) => {
    const nowMs = (deps.now ?? Date.now)();
    const sinceMs = q.since === undefined ? nowMs - HOUR_MS : Date.parse(q.since);
    if (sinceMs >= nowMs) throw new InvalidParameterError('since', 'must be in the past');
    if (nowMs - sinceMs > MAX_RANGE_DAYS * 86_400_000)
      throw new InvalidParameterError('since', `may be at most ${MAX_RANGE_DAYS} days ago`);
    const { query, page } = await listPage(
      deps,
      {
        taskType: q.taskType ?? null,
        status: 'failed',
        fromIso: new Date(sinceMs).toISOString(),
        toIso: new Date(nowMs).toISOString(),
      },
      { next: q.next, limit: q.limit, explicit: { taskType: q.taskType !== undefined, status: true } },
    );
    return {
      status: 200,
      body: {
        since: query.fromIso,
        until: query.toIso,
        taskType: query.taskType,
        items: page.items,
        next: page.next,
      },
    };
  },
});
