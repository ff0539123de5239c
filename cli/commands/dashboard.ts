import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { dashboardConsoleUrl } from '../../lambdas/shared/names/console';
import { type CommandModule, withTarget } from '../context';
import { ResourceNotFoundError } from '../errors';
import { localStackFilePath, readLocalStackFile } from '../local-stack-file';
import type { TargetOptions } from '../target';

/**
 * `taskpulse dashboard`: where to look. The deployed stack's CloudWatch dashboard in the console
 * (its name from the stack output, the region from the options or the SDK's configuration), or with
 * `--local` the page local mode serves (from `.taskpulse/local-stack.json`).
 */
export const dashboardCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('dashboard')
    .description(
      "print the URL of the stack's CloudWatch dashboard (with --local: local mode's dashboard page)",
    );
  withTarget(command, ['dashboardName']).action(async (options: TargetOptions) => {
    if (options.local === true) {
      const file = localStackFilePath(ctx.io.cwd ?? process.cwd(), ctx.io.env);
      const local = await readLocalStackFile(file);
      if (local?.dashboardUrl === undefined) {
        throw new ResourceNotFoundError(
          local === undefined
            ? `no local stack: ${file} does not exist`
            : `local mode records no dashboard in ${file}`,
          {
            hint: 'start local mode with npm start (it serves the page and records its URL), then run this again',
          },
        );
      }
      ctx.print(local.dashboardUrl);
      return;
    }
    const { target } = await ctx.connect(options);
    const name = await target.resource('dashboardName');
    let region = target.aws.region;
    if (region === undefined) {
      const cfn = new CloudFormationClient(target.aws);
      try {
        region = await cfn.config.region();
      } finally {
        cfn.destroy();
      }
    }
    ctx.print(dashboardConsoleUrl(region, name));
  });
};
