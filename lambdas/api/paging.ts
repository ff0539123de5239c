import { InvalidQueryError } from '../shared/queries/errors';
import type { ExecutionListDeps } from '../shared/queries/executions';
import { decodePageToken, type ExecutionQuery } from '../shared/queries/page-token';
import { taskTypesActive } from '../shared/queries/task-types';
import { DynamoAggregateReader } from '../shared/store/aggregate-reader';
import type { ApiDeps } from './deps';
import { InvalidParameterError } from './problem';

/** What the execution lists (`executions`, `failures`) share: the listing deps and `next` tokens. */

/** Listing dependencies over the API's tables. */
export const listDepsOf = (deps: ApiDeps): ExecutionListDeps => ({
  doc: deps.doc,
  historyTable: deps.historyTable,
  taskTypesOn: (days) => taskTypesActive(new DynamoAggregateReader(deps.doc, deps.stateTable), days),
});

/**
 * The query of a page: the one in `next` when given (its time range kept, so pages of a relative
 * range do not shift), else the one from the parameters. A token of another query (a filter given
 * with a different value) is a 400 on `next`. Pure.
 */
export const resumeQuery = (
  fresh: ExecutionQuery,
  next: string | undefined,
  explicit: { readonly taskType: boolean; readonly status: boolean },
): { query: ExecutionQuery; cursor?: string } => {
  if (next === undefined) return { query: fresh };
  let decoded: ReturnType<typeof decodePageToken>;
  try {
    decoded = decodePageToken(next);
  } catch (error) {
    if (error instanceof InvalidQueryError)
      throw new InvalidParameterError('next', error.message, { cause: error });
    throw error;
  }
  const { query, cursor } = decoded;
  if (
    (explicit.taskType && query.taskType !== fresh.taskType) ||
    (explicit.status && query.status !== fresh.status)
  )
    throw new InvalidParameterError(
      'next',
      'the page token belongs to another query (taskType or status differ)',
    );
  return { query, cursor };
};
