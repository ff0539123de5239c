import { getExecution, toExecutionView } from '../../lambdas/shared/queries/execution';
import { type CommandModule, withJson, withTarget } from '../context';
import { NotFoundError } from '../errors';
import { formatExecution } from '../format/executions';
import type { TargetOptions } from '../target';

interface ShowOptions extends TargetOptions {
  readonly json?: boolean;
}

/** `taskpulse show <taskId>`: one execution with its attempts and events. */
export const showCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('show')
    .description('one execution: its status, attempts, event timeline and error')
    .argument('<taskId>', 'the task id');
  withJson(withTarget(command, ['historyTable'])).action(async (taskId: string, options: ShowOptions) => {
    const { target, clients } = await ctx.connect(options);
    const table = await target.resource('historyTable');
    const execution = await getExecution(clients.doc, table, taskId);
    if (execution === undefined) {
      throw new NotFoundError(`no execution ${taskId} in ${table}`, {
        hint: 'task ids are case-sensitive; history is kept 30 days by default (historyRetention)',
      });
    }
    const view = toExecutionView(execution);
    if (options.json) ctx.printJson(view);
    else ctx.print(formatExecution(view));
  });
};
