import { readRollups, summarizeRollups } from '../../lambdas/shared/queries/stats';
import { DynamoRollupStore } from '../../lambdas/shared/store/rollup-store';
import { daysBetween } from '../../lambdas/shared/time';
import { type CommandModule, withJson, withTarget } from '../context';
import { formatStats } from '../format/stats';
import { parseDay, positiveInt } from '../parse';
import type { TargetOptions } from '../target';

interface StatsOptions extends TargetOptions {
  readonly days: number;
  readonly to?: string;
  readonly type?: string;
  readonly dimension?: string;
  readonly byDay?: boolean;
  readonly json?: boolean;
}

/** `taskpulse stats`: daily rollups of the last N days per task type. */
export const statsCommand: CommandModule = (program, ctx) => {
  const command = program
    .command('stats')
    .description('daily rollups of the last N complete days per task type: totals, failure rate, run times')
    .option('--days <n>', 'number of days', positiveInt(400), 7)
    .option('--to <day>', 'last day (YYYY-MM-DD, today, yesterday)', 'yesterday')
    .option('--type <taskType>', 'only this task type')
    .option('--dimension <key>', 'one row per value of this configured dimension (e.g. marketplace)')
    .option('--by-day', 'one row per task type and day');
  withJson(withTarget(command, ['stateTable'])).action(async (options: StatsOptions) => {
    const to = parseDay(options.to ?? 'yesterday', ctx.now(), '--to');
    const fromMs = Date.parse(`${to}T00:00:00Z`) - (options.days - 1) * 86_400_000;
    const days = daysBetween(new Date(fromMs).toISOString().slice(0, 10), to);
    const { target, clients } = await ctx.connect(options);
    const store = new DynamoRollupStore(clients.doc, await target.resource('stateTable'));
    const report = summarizeRollups(await readRollups(store, days), days, {
      taskType: options.type ?? null,
      dimension: options.dimension ?? null,
    });
    if (options.json) ctx.printJson(report);
    else ctx.print(formatStats(report, { byDay: options.byDay === true }));
  });
};
