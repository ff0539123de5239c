import { InvalidQueryError } from '../shared/queries/errors';
import { type ExecutionListDeps, type ExecutionPage, listExecutions } from '../shared/queries/executions';
import { type ExecutionQuery, resumeQuery } from '../shared/queries/page-token';
import { taskTypesActive } from '../shared/queries/task-types';
import { DynamoAggregateReader } from '../shared/store/aggregate-reader';
import type { ApiDeps } from './deps';
import { InvalidParameterError } from './problem';

/** What the execution lists (`executions`, `failures`) share: the listing deps and `next` tokens. */

/** Listing dependencies over the API's tables. */
const listDepsOf = (deps: ApiDeps): ExecutionListDeps => ({
  doc: deps.doc,
  historyTable: deps.historyTable,
  taskTypesOn: (days) => taskTypesActive(new DynamoAggregateReader(deps.doc, deps.stateTable), days),
});

/**
 * One page of executions for a fresh query or the one in `next`; a refused token is a 400 on `next`.
 * What `executions` and `failures` share.
 */
export const listPage = async (
  deps: ApiDeps,
  fresh: ExecutionQuery,
  options: {
    readonly next: string | undefined;
    readonly limit: number;
    readonly explicit: { readonly taskType: boolean; readonly status: boolean };
  },
): Promise<{ query: ExecutionQuery; page: ExecutionPage }> => {
  let resumed: ReturnType<typeof resumeQuery>;
  try {
    resumed = resumeQuery(fresh, options.next, options.explicit);
  } catch (error) {
    if (error instanceof InvalidQueryError)
      throw new InvalidParameterError('next', error.message, { cause: error });
    throw error;
  }
  const { query, cursor } = resumed;
  const page = await listExecutions(listDepsOf(deps), query, {
    limit: options.limit,
    ...(cursor !== undefined && { cursor }),
  });
  return { query, page };
};
