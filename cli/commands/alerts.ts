import { readAlerts } from '../../lambdas/shared/queries/alerts';
import { DynamoAlertStateStore } from '../../lambdas/shared/store/alert-state-store';
import { type CommandModule, withJson, withTarget } from '../context';
import { formatAlerts } from '../format/alerts';
import type { TargetOptions } from '../target';

interface AlertsOptions extends TargetOptions {
  readonly firing?: boolean;
  readonly json?: boolean;
}

/** `taskpulse alerts`: current alert states, firing first. */
export const alertsCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('alerts')
    .description('current alert states (one per rule and task type), firing first')
    .option('--firing', 'only alerts in ALARM');
  withJson(withTarget(command, ['stateTable'])).action(async (options: AlertsOptions) => {
    const { target, clients } = await ctx.connect(options);
    const store = new DynamoAlertStateStore(clients.doc, await target.resource('stateTable'));
    const rows = (await readAlerts(store)).filter((r) => !options.firing || r.status === 'ALARM');
    if (options.json) ctx.printJson({ alerts: rows });
    else ctx.print(formatAlerts(rows));
  });
};
