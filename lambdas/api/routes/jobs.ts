import { z } from 'zod';
import { readJob } from '../../shared/queries/job';
import { notFound, PROBLEM_CONTENT_TYPE, problemSchema } from '../problem';
import { jobViewSchema } from '../schemas';
import { defineRoute } from './route';

/** `GET /v1/jobs/{jobId}`: the job view, through the sparse byJob index. */
export const jobRoute = defineRoute({
  path: '/v1/jobs/{jobId}',
  method: 'get',
  operationId: 'getJob',
  summary: 'The job view: every task of a job, counts by status, progress, failed children, tree',
  description:
    'Reads O(tasks of the job) index keys and items (at most 5,000; `complete` says whether all were read).',
  params: z.object({
    jobId: z.string().min(1).max(512).meta({ description: 'The jobId the events carry.' }),
  }),
  responses: {
    200: { description: 'The job.', schema: jobViewSchema },
    404: {
      description: 'No stored execution carries this jobId.',
      schema: problemSchema,
      contentType: PROBLEM_CONTENT_TYPE,
    },
  },
  handle: async ({ params }, deps) => {
    const view = await readJob(deps.doc, deps.historyTable, params.jobId);
    if (view === undefined)
      return { status: 404, body: notFound(`no execution carries jobId ${params.jobId}`) };
    return { status: 200, body: view };
  },
});
