import { z } from 'zod';
import { InvalidQueryError } from '../../shared/queries/errors';
import { pollFeed } from '../../shared/queries/feed';
import { InvalidParameterError } from '../problem';
import { feedPageSchema, limitParam } from '../schemas';
import { defineRoute } from './route';

/** `GET /v1/feed`: the live feed of stored events, polled with a cursor (history table stream). */
export const feedRoute = defineRoute({
  path: '/v1/feed',
  method: 'get',
  operationId: 'pollFeed',
  summary: 'Events as they are stored: poll with the cursor of the previous answer',
  description:
    'Without `after`, starts at now and returns no events. Reads one DescribeStream and, per stream shard, ' +
    'one GetRecords of at most `limit` records: O(shards + events returned), never the table.',
  query: z.object({
    after: z.string().min(1).max(8192).optional().meta({ description: 'The `next` of the previous poll.' }),
    limit: limitParam(1000, 100).meta({ description: 'Stream records read per shard, 1 to 1000.' }),
  }),
  responses: {
    200: { description: 'New events, oldest first, and the next cursor.', schema: feedPageSchema },
  },
  handle: async ({ query }, deps) => {
    try {
      const page = await pollFeed(deps, {
        limit: query.limit,
        ...(query.after !== undefined && { after: query.after }),
      });
      return { status: 200, body: page };
    } catch (error) {
      if (error instanceof InvalidQueryError)
        throw new InvalidParameterError('after', error.message, { cause: error });
      throw error;
    }
  },
});
