import { type ExecutionListDeps, listExecutions } from '../../lambdas/shared/queries/executions';
import { decodePageToken, type ExecutionQuery } from '../../lambdas/shared/queries/page-token';
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

/**
 * The query to run: the one in `--next` when given (its time range is kept, so relative times do not
 * shift between pages), else the one from the flags. A token from another query is a usage error.
 */
export const queryWithToken = (
  fromFlags: ExecutionQuery,
  next: string | undefined,
  explicit: { readonly taskType: boolean; readonly status: boolean },
): { query: ExecutionQuery; cursor?: string } => {
  if (next === undefined) return { query: fromFlags };
  let decoded: ReturnType<typeof decodePageToken>;
  try {
    decoded = decodePageToken(next);
  } catch (error) {
    throw new UsageError('the --next token is not valid', {
      hint: 'pass the "next" value printed by the previous page, unchanged',
      cause: error,
    });
  }
  const { query, cursor } = decoded;
  const differs =
    (explicit.taskType && query.taskType !== fromFlags.taskType) ||
    (explicit.status && query.status !== fromFlags.status);
  if (differs) {
    throw new UsageError('the --next token belongs to another query', {
      hint: 'repeat the --type/--status of the previous page, or leave them out with --next',
    });
  }
  return { query, cursor };
};
