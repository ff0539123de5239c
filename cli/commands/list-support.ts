import { type ExecutionListDeps, listExecutions } from '../../lambdas/shared/queries/executions';
import { type ExecutionQuery, PageTokenError, resumeQuery } from '../../lambdas/shared/queries/page-token';
import { taskTypesActive } from '../../lambdas/shared/queries/task-types';
import { DynamoAggregateReader } from '../../lambdas/shared/store/aggregate-reader';
import type { Clients } from '../clients';
import type { CommandContext } from '../context';
import { UsageError } from '../errors';
import type { Target, TargetOptions } from '../target';

/** What `history` and `failures` share: the listing dependencies and `--next` handling. */

/** Listing dependencies over a target's history and state tables. */
const listDepsOf = async (target: Target, clients: Clients): Promise<ExecutionListDeps> => {
  const historyTable = await target.resource('historyTable');
  return {
    doc: clients.doc,
    historyTable,
    taskTypesOn: async (days) =>
      taskTypesActive(new DynamoAggregateReader(clients.doc, await target.resource('stateTable')), days),
  };
};

/** One page of executions for a query, on the target the options name. */
export const listPage = async (
  ctx: Pick<CommandContext, 'connect'>,
  options: TargetOptions & { readonly limit: number },
  query: ExecutionQuery,
  cursor: string | undefined,
) => {
  const { target, clients } = await ctx.connect(options);
  return listExecutions(await listDepsOf(target, clients), query, {
    limit: options.limit,
    ...(cursor !== undefined && { cursor }),
  });
};

/** The fix of each refused `--next` token. */
const TOKEN_HINT = {
  invalid: 'pass the "next" value printed by the previous page, unchanged',
  'other-query': 'repeat the --type/--status of the previous page, or leave them out with --next',
} as const;

/**
 * The query to run: the one in `--next` when given (its time range is kept, so relative times do not
 * shift between pages), else the one from the flags. A token from another query is a usage error.
 */
export const queryWithToken = (
  fromFlags: ExecutionQuery,
  next: string | undefined,
  explicit: { readonly taskType: boolean; readonly status: boolean },
): { query: ExecutionQuery; cursor?: string } => {
  try {
    return resumeQuery(fromFlags, next, explicit);
  } catch (error) {
    if (!(error instanceof PageTokenError)) throw error;
    const what = error.problem === 'invalid' ? 'is not valid' : 'belongs to another query';
    throw new UsageError(`the --next token ${what}`, { hint: TOKEN_HINT[error.problem], cause: error });
  }
};
