import { readJob } from '../../lambdas/shared/queries/job';
import { type CommandModule, withJson, withTarget } from '../context';
import { NotFoundError } from '../errors';
import { formatJob } from '../format/job';
import type { TargetOptions } from '../target';

interface JobOptions extends TargetOptions {
  readonly json?: boolean;
}

/** `taskpulse job <jobId>`: the job view (the API's `GET /v1/jobs/{jobId}`). */
export const jobCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('job')
    .description('one job: progress, counts by status, failed tasks with errors, the parent/child tree')
    .argument('<jobId>', 'the jobId the events carry');
  withJson(withTarget(command, ['historyTable'])).action(async (jobId: string, options: JobOptions) => {
    const { target, clients } = await ctx.connect(options);
    const table = await target.resource('historyTable');
    const view = await readJob(clients.doc, table, jobId);
    if (view === undefined) {
      throw new NotFoundError(`no execution in ${table} carries jobId ${jobId}`, {
        hint: 'job ids are case-sensitive; only events sent with a jobId belong to a job; history is kept 30 days by default',
      });
    }
    if (options.json) ctx.printJson(view);
    else ctx.print(formatJob(view));
  });
};
