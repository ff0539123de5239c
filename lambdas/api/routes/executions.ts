import { z } from 'zod';
import { listPage } from '../paging';
import { InvalidParameterError } from '../problem';
import {
  executionPageSchema,
  instantParam,
  limitParam,
  nextParam,
  statusParam,
  taskTypeParam,
} from '../schemas';
import { defineRoute } from './route';

/** Widest range one list covers (the type registry is read once per day of the range). */
export const MAX_RANGE_DAYS = 92;
const DAY_MS = 86_400_000;

/** `GET /v1/executions`: executions newest first, filters combinable, a page at a time. */
export const executionsRoute = defineRoute({
  path: '/v1/executions',
  method: 'get',
  operationId: 'listExecutions',
  summary: 'Executions, newest first, a page at a time',
  description:
    'Failed or cancelled: by finish time (byStatus index); anything else: by creation time (byType index). ' +
    'Reads O(page size) index keys and items, plus one scope-registry query per day when no taskType is given.',
  query: z.object({
    taskType: taskTypeParam.optional(),
    status: statusParam.optional(),
    from: instantParam.optional().meta({ description: 'Inclusive start, ISO 8601. @default 24 hours ago' }),
    to: instantParam.optional().meta({ description: 'Exclusive end, ISO 8601. @default now' }),
    limit: limitParam(1000, 20),
    next: nextParam.optional(),
  }),
  responses: { 200: { description: 'One page.', schema: executionPageSchema } },
  handle: async ({ query: q }, deps) => {
    const nowMs = (deps.now ?? Date.now)();
    const toMs = q.to === undefined ? nowMs : Date.parse(q.to);
    const fromMs = q.from === undefined ? toMs - DAY_MS : Date.parse(q.from);
    if (fromMs >= toMs) throw new InvalidParameterError('from', 'must be before `to`');
    if (toMs - fromMs > MAX_RANGE_DAYS * DAY_MS)
      throw new InvalidParameterError('from', `the range may cover at most ${MAX_RANGE_DAYS} days`);
    const { query, page } = await listPage(
      deps,
      {
        taskType: q.taskType ?? null,
        status: q.status ?? null,
        fromIso: new Date(fromMs).toISOString(),
        toIso: new Date(toMs).toISOString(),
      },
      {
        next: q.next,
        limit: q.limit,
        explicit: { taskType: q.taskType !== undefined, status: q.status !== undefined },
      },
    );
    return {
      status: 200,
      body: {
        query: { taskType: query.taskType, status: query.status, from: query.fromIso, to: query.toIso },
        ...page,
      },
    };
  },
});
