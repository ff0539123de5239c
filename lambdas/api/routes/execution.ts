import { z } from 'zod';
import { getExecution, toExecutionView } from '../../shared/queries/execution';
import { notFound, PROBLEM_CONTENT_TYPE, problemSchema } from '../problem';
import { executionViewSchema } from '../schemas';
import { defineRoute } from './route';

/** `GET /v1/executions/{taskId}`: one execution (one strongly consistent GetItem). */
export const executionRoute = defineRoute({
  path: '/v1/executions/{taskId}',
  method: 'get',
  operationId: 'getExecution',
  summary: 'One execution: attempts, event timeline, error, params',
  params: z.object({
    taskId: z.string().min(1).max(512).meta({ description: 'The task id (case-sensitive).' }),
  }),
  responses: {
    200: { description: 'The execution.', schema: executionViewSchema },
    404: {
      description: 'No such execution (never sent, or expired).',
      schema: problemSchema,
      contentType: PROBLEM_CONTENT_TYPE,
    },
  },
  handle: async ({ params }, deps) => {
    const execution = await getExecution(deps.doc, deps.historyTable, params.taskId);
    if (execution === undefined)
      return {
        status: 404,
        body: notFound(`no execution ${params.taskId} (task ids are case-sensitive; history expires)`),
      };
    return { status: 200, body: toExecutionView(execution) };
  },
});
